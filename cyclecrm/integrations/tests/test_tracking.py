"""Open and click tracking of one-to-one e-mails: the workspace setting, the `track` flag, the
public endpoints, the timeline, the engagement fields and the segment fields."""

import re
from html import unescape

import pytest
from django.test import Client

from cyclecrm.activities.models import Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.models import EmailTracking
from cyclecrm.integrations.services.outbound import email_send

pytestmark = pytest.mark.django_db
BODY = '<p>See <a href="https://shop.example/offer">the offer</a>.</p>'


@pytest.fixture
def base(settings) -> str:
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "http://testserver"}
    return "http://testserver"


def send(actor, callbacks, **data) -> Interaction:
    with callbacks(execute=True):
        interaction = email_send(actor=actor, data={"subject": "Offer", "body": BODY, **data})
    interaction.refresh_from_db()
    return interaction


def urls(smtp_server, index: int = 0) -> tuple[list[str], list[str]]:
    html = smtp_server.received[index].message.get_body(("html",)).get_content()
    hrefs = [unescape(h) for h in re.findall(r'<a\b[^>]*?href="([^"]*)"', html)]
    return hrefs, [unescape(s) for s in re.findall(r'<img\b[^>]*?src="([^"]*)"', html)]


def test_one_to_one_email_is_not_tracked_unless_the_workspace_turns_it_on(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a, settings, base
):
    ada = make_contact(rep_a, email="ada@example.com")
    plain = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk)
    settings.CYCLECRM = {**settings.CYCLECRM, "EMAIL_TRACK_ONE_TO_ONE": True}
    tracked = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk)
    opted_out = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk, track=False)

    assert urls(smtp_server, 0) == (["https://shop.example/offer"], [])
    hrefs, [pixel] = urls(smtp_server, 1)
    assert hrefs[0].startswith(f"{base}/t/e/c/") and pixel.startswith(f"{base}/t/e/o/")
    assert urls(smtp_server, 2) == (["https://shop.example/offer"], [])
    assert list(EmailTracking.objects.values_list("interaction", flat=True)) == [tracked.pk]
    assert not EmailTracking.objects.filter(interaction__in=[plain.pk, opted_out.pk]).exists()
    assert "/t/e/" not in tracked.body  # the stored body stays as written


def test_a_reply_on_a_case_is_never_tracked(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, support_agent, base
):
    from cyclecrm.support.services import case_create

    ada = make_contact(support_agent, email="ada@example.com")
    case = case_create(actor=support_agent, data={"subject": "Broken", "contact": ada.pk})
    send(support_agent, django_capture_on_commit_callbacks, case=case.pk, track=True)
    assert urls(smtp_server) == (["https://shop.example/offer"], [])
    assert not EmailTracking.objects.exists()


def test_opens_and_clicks_are_counted_noted_once_and_feed_engagement_and_segments(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a, base, marketer
):
    from cyclecrm.segments.selectors import rules_members

    ada = make_contact(rep_a, first_name="Ada", email="ada@example.com")
    make_contact(rep_a, first_name="Bob", email="bob@example.com")
    email = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk, track=True)
    [link], [pixel] = urls(smtp_server)
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert client.get(link.removeprefix(base))["Location"] == "https://shop.example/offer"
        assert client.get(pixel.removeprefix(base)).status_code == 200

    row = EmailTracking.objects.get(interaction=email)
    assert (row.open_count, row.click_count) == (2, 2)  # the first click implied an open
    assert row.first_clicked_at >= row.first_opened_at
    notes = Interaction.objects.filter(contact=ada, direction="inbound").order_by("id")
    assert [n.subject for n in notes] == ["Opened: Offer", "Clicked: Offer"]
    assert notes[1].owner == rep_a  # the sender owns what the e-mail brought in
    assert "Link: https://shop.example/offer" in notes[1].body
    ada = Contact.objects.get(pk=ada.pk)
    assert ada.engagement["30d"]["email"] == 3  # the e-mail, the open, the click
    opened = {"all": [{"field": "email.opened_30d", "op": "gte", "value": 1}]}
    clicked = {"all": [{"field": "email.clicked_90d", "op": "gte", "value": 1}]}
    assert [c.first_name for c in rules_members(actor=marketer, rules=opened)] == ["Ada"]
    assert [c.first_name for c in rules_members(actor=marketer, rules=clicked)] == ["Ada"]


def test_the_events_carry_the_email_and_the_time(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a, base
):
    from cyclecrm.core import events

    seen: list[events.Event] = []
    events.subscribe("email.opened", seen.append)
    events.subscribe("email.clicked", seen.append)
    try:
        ada = make_contact(rep_a, email="ada@example.com")
        email = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk, track=True)
        [link], _ = urls(smtp_server)
        with django_capture_on_commit_callbacks(execute=True):
            Client().get(link.removeprefix(base))
            Client().get(link.removeprefix(base))
    finally:
        events._subscribers["email.opened"].remove(seen.append)
        events._subscribers["email.clicked"].remove(seen.append)
    assert [(e.name, e.object_id) for e in seen] == [
        ("email.opened", email.pk),
        ("email.clicked", email.pk),
    ]
    row = EmailTracking.objects.get(interaction=email)
    assert seen[0].data == {"at": row.first_opened_at.isoformat()}


def test_an_email_not_sent_yet_has_no_live_tracking(
    django_capture_on_commit_callbacks, rep_a, base
):
    from cyclecrm.integrations import tracking

    ada = make_contact(rep_a, email="ada@example.com")
    email = email_send(
        actor=rep_a, data={"contact": ada.pk, "subject": "x", "body": BODY, "track": True}
    )
    response = Client().get(tracking.open_url(email.pk).removeprefix(base))
    assert response.status_code == 404
    assert EmailTracking.objects.get(interaction=email).open_count == 0


def test_a_repeated_open_is_a_few_queries_and_no_timeline_entry(
    smtp_server,
    huey_immediate,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
    rep_a,
    base,
):
    ada = make_contact(rep_a, email="ada@example.com")
    send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk, track=True)
    _, [pixel] = urls(smtp_server)
    client = Client()
    client.get(pixel.removeprefix(base))
    entries = Interaction.objects.count()

    # the hot path (mail clients reload images): read, count, a no-op first-time update
    with django_assert_max_num_queries(5):
        assert client.get(pixel.removeprefix(base)).status_code == 200
    assert Interaction.objects.count() == entries


def test_an_email_to_a_lead_notes_the_open_on_the_lead(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a, base
):
    from cyclecrm.leads.models import Lead

    lead = Lead.objects.create(last_name="Ng", email="ng@example.com", owner=rep_a)
    email = send(rep_a, django_capture_on_commit_callbacks, lead=lead.pk, track=True)
    _, [pixel] = urls(smtp_server)
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(pixel.removeprefix(base))
    [note] = Interaction.objects.filter(lead=lead, direction="inbound")
    assert (note.subject, note.contact_id) == ("Opened: Offer", None)
    assert EmailTracking.objects.get(interaction=email).open_note == note
