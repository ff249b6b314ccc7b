"""Sending a campaign through the real SMTP test server: suppression, merge fields, headers,
tracking links, and at-most-once delivery across a crash."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.utils import timezone

from cyclecrm.mailings import tokens
from cyclecrm.mailings.models import Mailing, MailingStatus, RecipientState
from cyclecrm.mailings.services.audience import mailing_start
from cyclecrm.mailings.services.mailings import mailing_pause, mailing_resume
from cyclecrm.mailings.services.sending import (
    INTERRUPTED,
    mailing_send_batch,
    mailings_restart_stalled,
)
from cyclecrm.mailings.tests.conftest import consenting, sending

pytestmark = pytest.mark.django_db


def addresses(server) -> list[str]:
    return [address for mail in server.received for address in mail.rcpt_tos]


def test_send_suppresses_by_reason_and_delivers_personal_messages(
    smtp_server, mailing, marketer, audience, settings
):
    # given
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "https://crm.example"}
    settings.DEFAULT_FROM_EMAIL = "crm@shop.example"

    # when
    mailing_start(actor=marketer, mailing=mailing)
    result = mailing_send_batch(mailing_id=mailing.pk)

    # then: only Ada and Bob get mail; every other reason is counted
    assert result.sent == 2 and result.remaining == 0
    assert sorted(addresses(smtp_server)) == ["ada@example.com", "bob@example.com"]
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.SENT
    assert mailing.suppressed == {
        "bounced": 1, "do_not_contact": 1, "duplicate": 1, "no_consent": 1, "no_email": 1,
        "unsubscribed": 1,
    }  # fmt: skip
    ada = mailing.recipients.get(contact=audience["ada"])
    assert ada.state == RecipientState.SENT and ada.sent_at is not None
    mail = next(m for m in smtp_server.received if m.rcpt_tos == ["ada@example.com"])
    message = mail.message
    # merge fields and the conditional block
    assert message["Subject"] == "News for Ada"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Hello Ada," in html and "See you in Paris!" in html and "online" not in html
    assert "Hello Ada," in text
    bob = next(m for m in smtp_server.received if m.rcpt_tos == ["bob@example.com"]).message
    assert "See you online!" in bob.get_body(("html",)).get_content()
    # headers: sender, Message-ID, VERP envelope, RFC 8058
    assert message["From"] == "Cycle News <news@shop.example>"
    assert message["Message-ID"] == ada.message_id
    assert mail.mail_from == f"bounces+{ada.token}@shop.example"
    unsubscribe = tokens.unsubscribe_url(ada.token)
    assert message["List-Unsubscribe"].strip() == (
        f"<{unsubscribe}>, <mailto:unsubscribe+{ada.token}@shop.example>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith("https://crm.example/u/") and unsubscribe in html
    assert f"Unsubscribe: {unsubscribe}" in text
    # tracking: the link is a signed redirect, the pixel is there, the raw URL is not
    assert "https://example.org/offer" not in html
    [click] = re.findall(r'href="(https://crm\.example/t/c/[^"]+)"', html)
    assert tokens.parse_click(click.rsplit("/", 1)[1].replace("&amp;", "&")) is not None
    assert f'src="{tokens.open_url(ada.token)}"' in html


class CrashAfter(EmailBackend):
    """The real SMTP backend, but the worker 'dies' right after the server accepted the
    second message (before the row is marked sent)."""

    limit = 2
    delivered = 0

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        CrashAfter.delivered += sent
        if CrashAfter.delivered >= CrashAfter.limit:
            raise SystemExit("worker killed")
        return sent


def test_a_crash_mid_send_resumes_without_sending_anyone_twice(
    smtp_server, marketer, segment, settings
):
    # given five consenting recipients
    from cyclecrm.segments.models import SegmentMember

    for n in range(5):
        contact = consenting(marketer, first_name=f"P{n}", email=f"p{n}@example.com")
        SegmentMember.objects.create(segment=segment, contact=contact)
    mailing = Mailing.objects.create(
        name="Crash", subject="Hi", html_body="<p>Hi</p>", segment=segment, owner=marketer
    )
    mailing_start(actor=marketer, mailing=mailing)
    expected = set(mailing.recipients.filter(state="pending").values_list("email", flat=True))
    assert len(expected) == 7  # Ada, Bob and the five

    # when the worker dies after the second message, then a new worker resumes
    settings.EMAIL_BACKEND = "cyclecrm.mailings.tests.test_send.CrashAfter"
    CrashAfter.delivered = 0
    with pytest.raises(SystemExit):
        mailing_send_batch(mailing_id=mailing.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    result = mailing_send_batch(mailing_id=mailing.pk)

    # then nobody got two messages, the unknown one is failed, everyone else got one
    received = Counter(addresses(smtp_server))
    assert max(received.values()) == 1
    assert set(received) == expected
    assert result.interrupted == 1 and result.sent == 5
    states = Counter(mailing.recipients.values_list("state", flat=True))
    assert states[RecipientState.SENT] == 6 and states[RecipientState.FAILED] == 1
    failed = mailing.recipients.get(state=RecipientState.FAILED)
    assert failed.reason == INTERRUPTED and failed.email in received
    assert sending_done(mailing)


def sending_done(mailing: Mailing) -> bool:
    mailing.refresh_from_db()
    return mailing.status == MailingStatus.SENT and mailing.lease_until is None


def test_a_live_lease_keeps_a_second_worker_out(smtp_server, mailing, marketer):
    mailing_start(actor=marketer, mailing=mailing)
    Mailing.objects.filter(pk=mailing.pk).update(lease_until=timezone.now() + tokens_minutes(5))

    result = mailing_send_batch(mailing_id=mailing.pk)

    assert result.locked and smtp_server.received == []
    Mailing.objects.filter(pk=mailing.pk).update(lease_until=timezone.now() - tokens_minutes(1))
    assert mailing_send_batch(mailing_id=mailing.pk).sent == 2  # an expired lease is taken over


def tokens_minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_the_rate_limit_sends_one_batch_per_run_and_pause_stops(smtp_server, mailing, marketer):
    Mailing.objects.filter(pk=mailing.pk).update(rate_per_minute=1)
    mailing_start(actor=marketer, mailing=mailing)

    first = mailing_send_batch(mailing_id=mailing.pk)
    assert (first.sent, first.remaining) == (1, 1)

    paused = mailing_pause(actor=marketer, mailing=sending(mailing))
    assert mailing_send_batch(mailing_id=mailing.pk).locked  # a paused mailing sends nothing
    assert len(smtp_server.received) == 1

    mailing_resume(actor=marketer, mailing=paused)
    assert mailing_send_batch(mailing_id=mailing.pk).sent == 1
    assert sorted(addresses(smtp_server)) == ["ada@example.com", "bob@example.com"]


def test_the_worker_task_sends_after_commit(
    smtp_server, huey_immediate, mailing, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mailing_start(actor=marketer, mailing=mailing)

    assert sorted(addresses(smtp_server)) == ["ada@example.com", "bob@example.com"]
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.SENT


def test_a_refused_recipient_is_failed_with_the_server_reason(smtp_server, mailing, marketer):
    smtp_server.refuse("550 No such user")
    mailing_start(actor=marketer, mailing=mailing)

    result = mailing_send_batch(mailing_id=mailing.pk)

    assert result.failed == 2
    reasons = set(mailing.recipients.filter(state="failed").values_list("reason", flat=True))
    assert any("550" in reason for reason in reasons)


def test_the_watchdog_restarts_a_mailing_whose_worker_went_silent(
    smtp_server, huey_immediate, mailing, marketer, django_capture_on_commit_callbacks
):
    # given: sending started, but its worker task was lost (no batch ran for ten minutes)
    mailing_start(actor=marketer, mailing=mailing)
    stalled_since = timezone.now() - dt.timedelta(minutes=10)
    Mailing.objects.filter(pk=mailing.pk).update(started_at=stalled_since)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        restarted = mailings_restart_stalled()

    # then
    assert restarted == [mailing.pk]
    assert sorted(addresses(smtp_server)) == ["ada@example.com", "bob@example.com"]
    assert mailings_restart_stalled() == []  # sent: nothing to restart
