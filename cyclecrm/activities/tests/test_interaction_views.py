"""Timeline pages: the panel on record pages, its htmx content (filters, load more), the log
forms, the interaction page with its .ics download, permissions and query counts."""

import datetime as dt

import pytest
import vobject
from django.utils import timezone

from cyclecrm.activities.models import Channel, Interaction
from cyclecrm.activities.tests.factories import make_interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.leads.models import Lead

HTMX = {"HX-Request": "true"}


def _ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


@pytest.mark.parametrize("kind", ["contact", "account", "lead"])
def test_detail_pages_include_the_panel(web_client, rep_a, kind):
    record = {
        "contact": lambda: make_contact(owner=rep_a),
        "account": lambda: make_account(owner=rep_a),
        "lead": lambda: Lead.objects.create(owner=rep_a, last_name="Lee"),
    }[kind]()

    html = web_client(rep_a).get(f"/{kind}s/{record.pk}/").content.decode()

    assert f'hx-get="/timeline/{kind}/{record.pk}/"' in html
    assert f"/timeline/{kind}/{record.pk}/log/call/" in html


def test_panel_newest_first_filter_and_load_more(web_client, rep_a, rep_b):
    contact = make_contact(owner=rep_a)
    calls = [
        make_interaction(rep_a, contact=contact, subject=f"Call {n}", occurred_at=_ago(100 - n))
        for n in range(25)
    ]
    make_interaction(rep_a, contact=contact, channel="email", subject="Mail", occurred_at=_ago(1))
    make_interaction(rep_b, contact=contact, subject="Secret call", occurred_at=_ago(0))
    client = web_client(rep_a)
    url = f"/timeline/contact/{contact.pk}/"

    html = client.get(url, headers=HTMX).content.decode()
    assert "Secret call" not in html
    assert html.index("Mail") < html.index("Call 24") < html.index("Call 6")
    assert "Call 5<" not in html  # 20 rows per page
    assert "Load more" in html

    more_url = html.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    more = client.get(more_url, headers=HTMX).content.decode()
    assert "Call 5<" in more and "Call 0<" in more
    assert "Load more" not in more

    emails = client.get(f"{url}?channel=email", headers=HTMX).content.decode()
    assert "Mail" in emails and "Call 24" not in emails
    assert len(calls) == 25


def test_panel_shows_why_an_email_was_not_delivered(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    make_interaction(
        rep_a,
        contact=contact,
        channel="email",
        direction="outbound",
        subject="Offer",
        delivery_status="failed",
        delivery_error="550 5.1.1 <x@example.com>: Recipient address rejected",
    )
    make_interaction(
        rep_a,
        contact=contact,
        channel="email",
        subject="Sent fine",
        direction="outbound",
        delivery_status="sent",
    )

    html = web_client(rep_a).get(f"/timeline/contact/{contact.pk}/", headers=HTMX).content.decode()

    assert html.count("Not delivered:") == 1
    assert "550 5.1.1 &lt;x@example.com&gt;: Recipient address rejected" in html


def test_panel_of_an_invisible_record_is_404(web_client, rep_a, rep_b):
    contact = make_contact(owner=rep_b)
    assert web_client(rep_a).get(f"/timeline/contact/{contact.pk}/").status_code == 404
    assert web_client(rep_a).get(f"/timeline/nothing/{contact.pk}/").status_code == 404


def test_panel_query_count(web_client, rep_a, django_assert_max_num_queries):
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)
    for n in range(20):
        make_interaction(rep_a, contact=contact, account=account, occurred_at=_ago(n))
    client = web_client(rep_a)
    client.get(f"/timeline/account/{account.pk}/", headers=HTMX)

    # 17: the session's second-factor check asks whether the user has a device (security.md).
    with django_assert_max_num_queries(17):
        response = client.get(f"/timeline/account/{account.pk}/", headers=HTMX)
    assert response.content.decode().count('class="list-group-item timeline-item"') == 20


def test_log_a_call_from_the_panel(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    client = web_client(rep_a)
    url = f"/timeline/contact/{contact.pk}/log/call/"

    form = client.get(url, headers=HTMX)
    assert form.status_code == 200
    assert 'name="duration_minutes"' in form.content.decode()

    response = client.post(
        url,
        {"direction": "outbound", "duration_minutes": "5", "outcome": "voicemail", "body": "Hi"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-changed"
    call = Interaction.objects.get()
    assert (call.channel, call.contact_id, call.duration_seconds) == ("call", contact.pk, 300)
    assert Contact.objects.get(pk=contact.pk).interactions_30d == 1


def test_log_a_note_needs_text_and_meeting_a_start(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    client = web_client(rep_a)

    note = client.post(f"/timeline/contact/{contact.pk}/log/note/", {"body": ""}, headers=HTMX)
    meeting = client.post(
        f"/timeline/contact/{contact.pk}/log/meeting/", {"subject": "Demo"}, headers=HTMX
    )

    assert note.status_code == 422
    assert meeting.status_code == 422
    assert "invalid-feedback" in meeting.content.decode()
    assert not Interaction.objects.exists()
    assert client.get(f"/timeline/contact/{contact.pk}/log/fax/").status_code == 404


def test_interaction_page_and_ics_download(web_client, rep_a, rep_b):
    contact = make_contact(owner=rep_a, email="gus@example.com")
    starts = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    meeting = make_interaction(
        rep_a,
        contact=contact,
        channel=Channel.MEETING,
        subject="Kick-off",
        starts_at=starts,
        location="HQ",
    )
    meeting.attendees.add(contact)
    client = web_client(rep_a)

    page = client.get(f"/activities/{meeting.pk}/").content.decode()
    assert "Kick-off" in page and f"/activities/{meeting.pk}/ics/" in page

    ics = client.get(f"/activities/{meeting.pk}/ics/")
    event = vobject.readOne(ics.content.decode()).vevent
    assert event.summary.value == "Kick-off"
    assert event.dtstart.value == starts
    assert event.dtend.value == starts + dt.timedelta(minutes=30)
    assert [a.value for a in event.contents["attendee"]] == ["mailto:gus@example.com"]

    assert web_client(rep_b).get(f"/activities/{meeting.pk}/").status_code == 404
    assert web_client(rep_b).get(f"/activities/{meeting.pk}/ics/").status_code == 404


def test_delete_from_the_interaction_page(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    note = make_interaction(rep_a, contact=contact, channel="note")

    response = web_client(rep_a).post(f"/activities/{note.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert not Interaction.objects.exists()


def test_contact_page_shows_engagement(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    Contact.objects.filter(pk=contact.pk).update(interactions_30d=7, interactions_90d=11)

    html = web_client(rep_a).get(f"/contacts/{contact.pk}/").content.decode()

    assert "Interactions (30 days)" in html
    assert '<span id="field-interactions_90d">11</span>' in html


def test_log_a_meeting_from_an_opportunity_links_its_contact(web_client, admin):
    from cyclecrm.pipeline.services import opportunity_create

    contact = make_contact(owner=admin)
    deal = opportunity_create(actor=admin, data={"name": "Deal", "contact_id": contact.pk})
    starts = timezone.localtime() + dt.timedelta(days=2)

    response = web_client(admin).post(
        f"/timeline/opportunity/{deal.pk}/log/meeting/",
        {"subject": "Demo", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "location": "Zoom"},
        headers=HTMX,
    )

    assert response.status_code == 200, response.content
    meeting = Interaction.objects.get()
    assert (meeting.opportunity_id, meeting.contact_id) == (deal.pk, contact.pk)
    assert meeting.occurred_at == meeting.starts_at
    assert (
        "/timeline/opportunity/"
        in web_client(admin).get(f"/opportunities/{deal.pk}/").content.decode()
    )
