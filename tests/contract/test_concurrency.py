"""Races on PostgreSQL, each thread on its own database connection, all released at once.

- Eight PATCHes of one contact carrying the same version: exactly one wins, the seven others
  get 409 naming the winner's version, and the stored row is the winner's (no lost update).
- Eight parallel opens of one mail: the open counter says eight, the first-open time and the
  timeline interaction are written once.

The in-memory SQLite test database refuses concurrent writers at once ("table is locked")
instead of queueing them, so these run on PostgreSQL only; the single-connection side of the
contract (a stale version is refused) runs on both databases in test_versions.py.
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from cyclecrm.activities.models import Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_contact, make_token
from cyclecrm.mailings import tokens
from cyclecrm.mailings.models import Mailing, MailingEvent, MailingRecipient, RecipientState
from cyclecrm.mailings.services.tracking import track_open

THREADS = 8
JSON = "application/json"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def run_together(work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` in THREADS threads released by one barrier; their results in thread order."""
    results: list[Any] = [None] * THREADS
    start = threading.Barrier(THREADS)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = work(index)
        except Exception as exc:  # reported by the assertions of the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_patches_with_one_version_have_exactly_one_winner(admin):
    # given a contact at version 1, read by eight clients
    contact = make_contact(owner=admin, city="Start")
    url = f"/api/v1/contacts/{contact.pk}"
    token = make_token(admin)

    # when each sends its own city with the version it read, at the same moment
    def patch(index: int) -> tuple[int, dict]:
        client = Client(headers={"Authorization": f"Bearer {token}"})
        body = {"version": contact.version, "city": f"City {index}"}
        response = client.patch(url, body, content_type=JSON)
        return response.status_code, response.json()

    results = run_together(patch)

    # then one 200, seven 409 naming the winner's version, and the row is the winner's
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (THREADS - 1), results
    [winner] = [(i, body) for i, (status, body) in enumerate(results) if status == 200]
    new_version = contact.version + 1
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "version_conflict"
            assert body["error"]["fields"]["version"] == [f"Current version is {new_version}."]
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.city, stored.version) == (f"City {winner[0]}", new_version)
    assert winner[1]["city"] == stored.city
    history = HistoryEntry.objects.filter(record_type="contact", object_id=contact.pk)
    assert history.filter(action="update").count() == 1


def test_concurrent_opens_are_all_counted_and_the_first_is_logged_once(admin):
    # given a sent mail
    contact = make_contact(owner=admin, email="ada@example.com")
    mailing = Mailing.objects.create(name="News", subject="News", owner=admin)
    recipient = MailingRecipient.objects.create(
        mailing=mailing,
        contact=contact,
        email=contact.email,
        token=tokens.new_token(),
        state=RecipientState.SENT,
    )
    signed = tokens.sign("open", recipient.token)

    # when eight mail clients load its pixel at the same moment
    results = run_together(lambda _: track_open(signed=signed))

    # then every open counts, and the first open is recorded once
    assert results == [True] * THREADS
    recipient.refresh_from_db()
    assert recipient.open_count == THREADS
    assert recipient.first_opened_at is not None
    assert MailingEvent.objects.filter(recipient=recipient).count() == THREADS
    assert Interaction.objects.filter(contact=contact).count() == 1
