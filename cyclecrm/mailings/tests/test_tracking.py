"""Opens, clicks, unsubscribes and bounces, through the public URLs and the API."""

import re
from email.message import EmailMessage

import pytest
from django.test import Client

from cyclecrm.activities.models import Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import HistoryEntry
from cyclecrm.integrations.models import InboundMessage, InboundOutcome, Mailbox
from cyclecrm.integrations.services.inbound import message_ingest
from cyclecrm.mailings import tokens
from cyclecrm.mailings.models import (
    EventKind,
    Mailing,
    MailingEvent,
    MailingRecipient,
    RecipientState,
)
from cyclecrm.mailings.services.audience import mailing_start
from cyclecrm.mailings.services.bounces import inbound_filter
from cyclecrm.mailings.services.sending import mailing_send_batch
from cyclecrm.mailings.services.tracking import track_open

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def sent(smtp_server, mailing, marketer, settings) -> Mailing:
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "http://testserver"}
    settings.DEFAULT_FROM_EMAIL = "crm@shop.example"
    mailing_start(actor=marketer, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk)
    mailing.refresh_from_db()
    return mailing


def html_of(server, address: str) -> str:
    mail = next(m for m in server.received if m.rcpt_tos == [address])
    return mail.message.get_body(("html",)).get_content()


def path(url: str) -> str:
    return url.replace("http://testserver", "").replace("&amp;", "&")


def test_opens_count_once_per_recipient_and_log_the_first_on_the_timeline(
    sent, smtp_server, audience, marketer, api_client
):
    # given Ada's pixel
    html = html_of(smtp_server, "ada@example.com")
    [pixel] = re.findall(r'<img src="([^"]+\.gif)"', html)
    anonymous = Client()

    # when she opens the mail three times
    responses = [anonymous.get(path(pixel)) for _ in range(3)]

    # then a GIF each time, one unique open, three events, one interaction on her timeline
    assert {r.status_code for r in responses} == {200}
    assert responses[0]["Content-Type"] == "image/gif"
    ada = sent.recipients.get(contact=audience["ada"])
    assert ada.open_count == 3 and ada.first_opened_at is not None
    assert MailingEvent.objects.filter(recipient=ada, kind=EventKind.OPEN).count() == 3
    [logged] = Interaction.objects.filter(contact=audience["ada"])
    assert logged.subject == "Opened: November news"
    assert logged.channel == "email" and logged.direction == "inbound"
    contact = Contact.objects.get(pk=audience["ada"].pk)
    assert contact.interactions_30d == 1 and contact.engagement["30d"]["email"] == 1  # ADR 0009
    stats = api_client(marketer).get(f"/api/v1/mailings/{sent.pk}/stats").json()
    assert (stats["sent"], stats["delivered"], stats["opened"], stats["open_rate"]) == (
        2,
        2,
        1,
        0.5,
    )


def test_a_click_redirects_counts_once_and_implies_an_open(sent, smtp_server, audience):
    html = html_of(smtp_server, "bob@example.com")
    [link] = re.findall(r'href="(http://testserver/t/c/[^"]+)"', html)

    first = Client().get(path(link))
    Client().get(path(link))

    assert first.status_code == 302
    assert first["Location"] == "https://example.org/offer?a=1&b=2"
    bob = sent.recipients.get(contact=audience["bob"])
    assert (bob.click_count, bob.open_count) == (2, 1)
    assert bob.first_clicked_at and bob.first_opened_at
    subjects = set(
        Interaction.objects.filter(contact=bob.contact).values_list("subject", flat=True)
    )
    assert {s.split(":")[0] for s in subjects} == {"Opened", "Clicked"}


@pytest.mark.parametrize("tamper", ["token", "link", "garbage"])
def test_a_tampered_tracking_url_is_404_never_a_redirect(sent, smtp_server, audience, tamper):
    ada = sent.recipients.get(contact=audience["ada"])
    bob = sent.recipients.get(contact=audience["bob"])
    html = html_of(smtp_server, "ada@example.com")
    [link] = re.findall(r'href="http://testserver/t/c/([^"]+)"', html)
    value, _, signature = link.rpartition(":")
    forged = {
        "token": f"{bob.token}.{value.split('.')[1]}:{signature}",
        "link": f"{ada.token}.{int(value.split('.')[1]) + 1}:{signature}",
        "garbage": "https://evil.example",
    }[tamper]

    response = Client().get(f"/t/c/{forged}")
    pixel = Client().get(f"/t/o/{ada.token}.gif")  # an unsigned token

    assert response.status_code == 404 and pixel.status_code == 404
    assert not track_open(signed=tokens.sign("click", ada.token))  # another purpose's signature
    assert MailingEvent.objects.count() == 0


def test_unsubscribe_get_confirms_post_one_click_withdraws_consent(
    sent, smtp_server, audience, marketer, api_client
):
    message = next(m for m in smtp_server.received if m.rcpt_tos == ["ada@example.com"]).message
    url = message["List-Unsubscribe"].strip().split(">")[0].lstrip("<")
    client = Client(enforce_csrf_checks=True)

    page = client.get(path(url))
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert Contact.objects.get(pk=audience["ada"].pk).consent_email  # a GET changes nothing

    # RFC 8058: POST with List-Unsubscribe=One-Click, no session, no CSRF token
    done = client.post(path(url), {"List-Unsubscribe": "One-Click"})
    again = client.post(path(url), {"List-Unsubscribe": "One-Click"})

    assert done.status_code == 200 and again.status_code == 200
    ada = Contact.objects.get(pk=audience["ada"].pk)
    assert not ada.consent_email and ada.consent_email_at is not None
    assert ada.consent_email_source == "unsubscribe: November news"
    change = HistoryEntry.objects.filter(record_type="contact", object_id=ada.pk).first()
    assert change.changes["consent_email"] == [True, False]
    assert MailingEvent.objects.filter(kind=EventKind.UNSUBSCRIBE).count() == 1
    stats = api_client(marketer).get(f"/api/v1/mailings/{sent.pk}/stats").json()
    assert stats["unsubscribed"] == 1
    assert Client().get("/u/nope:bad").status_code == 404


def test_bounce_api_by_message_id_and_address(sent, audience, marketer, rep_a, api_client):
    ada = sent.recipients.get(contact=audience["ada"])
    client = api_client(marketer)

    by_id = client.post(
        "/api/v1/mailings/bounces",
        {"message_id": ada.message_id, "kind": "hard"},
        content_type=JSON,
    )
    by_address = client.post(
        "/api/v1/mailings/bounces", {"email": "BOB@example.com", "kind": "soft"}, content_type=JSON
    )
    unknown = client.post("/api/v1/mailings/bounces", {"email": "x@y.z"}, content_type=JSON)
    stranger = api_client(rep_a).post(
        "/api/v1/mailings/bounces", {"message_id": ada.message_id}, content_type=JSON
    )

    assert by_id.status_code == 200 and by_id.json()["state"] == "bounced"
    assert by_address.json()["bounce_kind"] == "soft"
    assert unknown.status_code == 422 and "email" in unknown.json()["error"]["fields"]
    assert stranger.status_code == 422  # not their mailing: nothing to match
    stats = client.get(f"/api/v1/mailings/{sent.pk}/stats").json()
    assert (stats["sent"], stats["bounced"], stats["delivered"]) == (2, 2, 0)


def dsn(to: str, original_id: str, status: str = "5.1.1") -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    return f"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{status}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. I'm sorry to have to inform you that your message could not be
delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; someone@example.com
Action: failed
Status: {status}

--B
Content-Type: text/rfc822-headers

Message-ID: {original_id}
Subject: News

--B--
""".encode()


def test_a_bounce_in_the_mailbox_is_matched_by_verp_and_recorded(sent, audience):
    ada = sent.recipients.get(contact=audience["ada"])
    mailbox = Mailbox.objects.create(name="Bounces", host="127.0.0.1", username="b@shop.example")
    mailbox.uidvalidity = 1
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1)

    raw = dsn(tokens.bounce_address(ada.token), "<unrelated@x>")
    assert message_ingest(mailbox=mailbox, uidvalidity=1, uid=1, raw=raw)

    ada.refresh_from_db()
    assert ada.state == RecipientState.BOUNCED and ada.bounce_kind == "hard"
    assert InboundMessage.objects.get().outcome == InboundOutcome.BOUNCE
    assert not Interaction.objects.filter(subject__startswith="Undelivered").exists()


def test_a_bounce_without_verp_is_matched_by_the_quoted_message_id(sent, audience):
    bob = sent.recipients.get(contact=audience["bob"])

    outcome = inbound_filter(dsn("crm@shop.example", bob.message_id, status="4.2.2"))

    bob.refresh_from_db()
    assert outcome == "bounce" and bob.bounce_kind == "soft"
    assert inbound_filter(dsn("crm@shop.example", "<someone-else@x>")) is None
    ordinary = EmailMessage()
    ordinary["From"] = "customer@example.com"
    ordinary["To"] = "crm@shop.example"
    ordinary.set_content("Hello")
    assert inbound_filter(ordinary.as_bytes()) is None


def test_a_mailed_unsubscribe_withdraws_consent(sent, audience):
    ada = sent.recipients.get(contact=audience["ada"])
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message["To"] = tokens.unsubscribe_mailto(ada.token)
    message.set_content("unsubscribe")

    assert inbound_filter(message.as_bytes()) == "bounce"

    assert not Contact.objects.get(pk=ada.contact_id).consent_email
    assert MailingRecipient.objects.get(pk=ada.pk).unsubscribed_at is not None


def test_a_hard_bounce_suppresses_the_contact_next_time(sent, audience, marketer, segment):
    ada = sent.recipients.get(contact=audience["ada"])
    inbound_filter(dsn(tokens.bounce_address(ada.token), ""))
    follow_up = Mailing.objects.create(
        name="Follow-up", subject="Hi", html_body="<p>Hi</p>", segment=segment, owner=marketer
    )

    mailing_start(actor=marketer, mailing=follow_up)

    follow_up.refresh_from_db()
    assert follow_up.suppressed["bounced"] == 2  # Bea before, Ada now
    assert follow_up.recipients.get(contact=audience["ada"]).reason == "bounced"


def test_opens_and_clicks_feed_the_segment_fields(sent, smtp_server, audience, marketer):
    from cyclecrm.segments.selectors import rules_members

    html = html_of(smtp_server, "bob@example.com")
    [link] = re.findall(r'href="(http://testserver/t/c/[^"]+)"', html)
    Client().get(path(link))
    opened = {"all": [{"field": "email.opened_30d", "op": "gte", "value": 1}]}
    clicked = {"all": [{"field": "email.clicked_90d", "op": "gte", "value": 1}]}

    assert [c.first_name for c in rules_members(actor=marketer, rules=opened)] == ["Bob"]
    assert [c.first_name for c in rules_members(actor=marketer, rules=clicked)] == ["Bob"]


def test_opened_and_clicked_notes_are_no_reply_for_sequences(
    sent, smtp_server, audience, marketer, django_capture_on_commit_callbacks
):
    from cyclecrm.nurture import services as nurture
    from cyclecrm.nurture.engine import _replied
    from cyclecrm.nurture.enrollment import enroll
    from cyclecrm.nurture.models import Enrollment, EnrollmentState

    # given Ada in a sequence that ends when she replies
    sequence = nurture.sequence_create(
        actor=marketer, data={"name": "Welcome", "exit_on_reply": True}
    )
    nurture.step_add(
        actor=marketer, sequence=sequence, data={"type": "wait", "config": {"days": 3}}
    )
    sequence = nurture.sequence_update(actor=marketer, sequence=sequence, data={"status": "active"})
    enroll(sequence=sequence, contacts=[audience["ada"]], source="hand", actor=marketer)
    html = html_of(smtp_server, "ada@example.com")
    [pixel] = re.findall(r'<img src="([^"]+\.gif)"', html)
    link = next(u for u in re.findall(r'href="([^"]+)"', html) if "/t/c/" in u)

    # when she opens the campaign mail and clicks its link
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(path(pixel))
        Client().get(path(link))

    # then both are on her timeline, linked to her recipient row, and she is still enrolled
    recipient = sent.recipients.get(contact=audience["ada"])
    assert recipient.open_note_id and recipient.click_note_id
    enrollment = Enrollment.objects.get(sequence=sequence, contact=audience["ada"])
    assert enrollment.state == EnrollmentState.ACTIVE
    assert not _replied(enrollment)
