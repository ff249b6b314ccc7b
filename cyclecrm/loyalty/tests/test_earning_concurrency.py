"""THE concurrency test: parallel debits through the ledger, each thread on its own database
connection, cannot overspend. The member row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite)
queues them, and each sees the previous debits."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import InsufficientPoints, balance_from_ledger, entry_post
from cyclecrm.loyalty.models import EntryKind, Member
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program

THREADS = 8
LOCK_RETRIES = 500


def _post_waiting(member_id: int) -> None:
    """The in-memory SQLite test database (shared cache) answers "table is locked" at once
    instead of waiting like a file database with its busy timeout; wait and retry here."""
    for _ in range(LOCK_RETRIES):
        try:
            member = Member.objects.get(pk=member_id)
            entry_post(member=member, kind=EntryKind.REDEEM, points=-30, reason="parallel")
            return
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.01)
    raise OperationalError("still locked")


def _debit(member_id: int, outcomes: list[str], start: threading.Barrier) -> None:
    try:
        start.wait()
        _post_waiting(member_id)
        outcomes.append("ok")
    except InsufficientPoints:
        outcomes.append("refused")
    except OperationalError as exc:  # only if the database gave up waiting for the lock
        outcomes.append(f"error: {exc}")
    finally:
        connection.close()  # each thread had its own connection


@pytest.mark.django_db(transaction=True)
def test_parallel_debits_cannot_overspend(admin):
    # given 100 points
    member = enrol(make_program(), make_contact(owner=admin))
    entry_post(member=member, kind=EntryKind.EARN, points=100, reason="welcome")
    outcomes: list[str] = []
    start = threading.Barrier(THREADS)

    # when 8 threads each try to debit 30 at the same moment
    threads = [
        threading.Thread(target=_debit, args=(member.pk, outcomes, start)) for _ in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then exactly three succeed and the ledger agrees with the balance
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    member.refresh_from_db()
    assert member.balance == 10 == balance_from_ledger(member)
    assert member.entries.filter(kind=EntryKind.REDEEM).count() == 3
