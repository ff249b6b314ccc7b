"""The IMAP poll against a real Dovecot: ingest once, match, thread, survive UIDVALIDITY changes
and report unreachable servers."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.core.testing.mailservers import free_port
from cyclecrm.integrations.models import InboundMessage, InboundOutcome, Mailbox
from cyclecrm.integrations.services.inbound import mailbox_poll, mailboxes_poll_due
from cyclecrm.integrations.tests.factories import make_mailbox, make_message
from cyclecrm.leads.models import Lead

pytestmark = pytest.mark.django_db
_folders = itertools.count(1)


@pytest.fixture
def folder() -> str:
    """A fresh folder per test, so tests sharing the session's Dovecot stay independent."""
    return f"Test{next(_folders)}-{timezone.now():%H%M%S%f}"


def emails() -> list[Interaction]:
    return list(Interaction.objects.filter(channel=Channel.EMAIL).order_by("id"))


def test_new_messages_are_logged_once_on_the_matched_contact(imap_server, folder, rep_a):
    # given
    account = make_account(rep_a, name="Analytical Engines")
    ada = make_contact(rep_a, email="ada@example.com", account=account)
    grace = make_contact(rep_a, email="grace@example.com")
    imap_server.deliver(
        make_message(sender="Ada <ada@example.com>", subject="Pricing", message_id="<m1@ex>"),
        folder,
    )
    imap_server.deliver(
        make_message(
            sender="Someone <someone@elsewhere.example>",
            cc="Grace@Example.com",
            subject="Intro",
            message_id="<m2@ex>",
        ),
        folder,
    )
    mailbox = make_mailbox(imap_server, folder, owner=rep_a)

    # when
    result = mailbox_poll(mailbox=mailbox)

    # then
    assert (result.error, result.fetched, result.ingested) == ("", 2, 2)
    first, second = emails()
    assert (first.contact_id, first.account_id, first.subject) == (ada.pk, account.pk, "Pricing")
    assert first.direction == Direction.INBOUND
    assert first.message_id == "<m1@ex>"
    assert first.from_address == "ada@example.com"
    assert first.owner_id == rep_a.pk
    assert "Hi there" in first.body
    assert second.contact_id == grace.pk  # matched through Cc
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2
    assert mailbox.uidvalidity is not None
    assert (mailbox.last_error, mailbox.failure_count) == ("", 0)
    assert mailbox.last_success_at is not None

    # when polled again, nothing new
    again = mailbox_poll(mailbox=mailbox)

    # then
    assert (again.fetched, again.ingested) == (0, 0)
    assert len(emails()) == 2


def test_replies_join_the_thread_of_the_message_they_answer(imap_server, folder, rep_a):
    ada = make_contact(rep_a, email="ada@example.com")
    mailbox = make_mailbox(imap_server, folder)
    imap_server.deliver(
        make_message(sender="ada@example.com", subject="Question", message_id="<root@ex>"), folder
    )
    mailbox_poll(mailbox=mailbox)
    imap_server.deliver(
        make_message(
            sender="colleague@else.example",
            subject="Re: Question",
            message_id="<reply@ex>",
            in_reply_to="<root@ex>",
            references="<root@ex>",
        ),
        folder,
    )

    mailbox_poll(mailbox=mailbox)

    root, reply = emails()
    assert root.thread_key == "<root@ex>"
    assert reply.thread_key == "<root@ex>"
    assert reply.in_reply_to == "<root@ex>"
    assert reply.contact_id == ada.pk  # unknown sender, but the thread names the contact


def test_a_new_uidvalidity_refetches_without_duplicating(imap_server, folder, rep_a):
    make_contact(rep_a, email="ada@example.com")
    mailbox = make_mailbox(imap_server, folder)  # no owner: e-mails go to the contact's owner
    message = make_message(sender="ada@example.com", message_id="<same@ex>")
    imap_server.deliver(message, folder)
    mailbox_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    old_validity = mailbox.uidvalidity

    # given the folder is rebuilt: same message, new UIDVALIDITY, UIDs from 1 again
    imap_server.recreate_folder(folder)
    imap_server.deliver(message, folder)
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<new@ex>"), folder)

    result = mailbox_poll(mailbox=mailbox)

    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != old_validity
    assert (result.fetched, result.ingested) == (2, 1)
    assert [item.message_id for item in emails()] == ["<same@ex>", "<new@ex>"]
    assert {item.owner_id for item in emails()} == {rep_a.pk}
    assert mailbox.last_uid == 2


def test_unknown_sender_becomes_a_lead_when_the_mailbox_says_so(imap_server, folder, rep_a):
    imap_server.deliver(
        make_message(sender="Grace Hopper <grace@navy.example>", message_id="<x@ex>"), folder
    )
    imap_server.deliver(make_message(sender="nobody@else.example", message_id="<y@ex>"), folder)
    quiet = make_mailbox(imap_server, folder, name="quiet")
    eager = make_mailbox(imap_server, folder, name="eager", create_leads_from_unknown=True)

    mailbox_poll(mailbox=quiet)
    assert emails() == []
    assert set(InboundMessage.objects.filter(mailbox=quiet).values_list("outcome", flat=True)) == {
        InboundOutcome.UNMATCHED
    }

    mailbox_poll(mailbox=eager)
    lead = Lead.objects.get(email="grace@navy.example")
    assert (lead.first_name, lead.last_name) == ("Grace", "Hopper")
    logged = emails()
    assert len(logged) == 2
    assert logged[0].lead_id == lead.pk


def test_an_unreachable_server_is_reported_and_retried(imap_server, folder, rep_a):
    make_contact(rep_a, email="ada@example.com")
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<r@ex>"), folder)
    mailbox = make_mailbox(imap_server, folder)
    Mailbox.objects.filter(pk=mailbox.pk).update(port=free_port())
    mailbox.refresh_from_db()

    result = mailbox_poll(mailbox=mailbox)

    mailbox.refresh_from_db()
    assert "refused" in result.error.lower()
    assert mailbox.last_error == result.error
    assert mailbox.failure_count == 1
    assert mailbox.next_poll_at > timezone.now()
    # backing off: the periodic job leaves it alone until next_poll_at
    assert mailboxes_poll_due() == []
    second = mailboxes_poll_due(now=mailbox.next_poll_at + dt.timedelta(seconds=1))
    assert len(second) == 1
    mailbox.refresh_from_db()
    assert mailbox.failure_count == 2

    # when the server is back, the next due poll succeeds and clears the error
    Mailbox.objects.filter(pk=mailbox.pk).update(port=imap_server.port)
    [ok] = mailboxes_poll_due(now=timezone.now() + dt.timedelta(hours=2))

    mailbox.refresh_from_db()
    assert (ok.error, ok.ingested) == ("", 1)
    assert (mailbox.last_error, mailbox.failure_count, mailbox.next_poll_at) == ("", 0, None)


def test_a_wrong_password_is_reported(imap_server, folder):
    mailbox = make_mailbox(imap_server, folder)
    mailbox.password_encrypted = ""
    mailbox.password_env = "CYCLECRM_TEST_NO_SUCH_VARIABLE"
    mailbox.save()

    result = mailbox_poll(mailbox=mailbox)

    assert "CYCLECRM_TEST_NO_SUCH_VARIABLE" in result.error
    mailbox.refresh_from_db()
    assert mailbox.failure_count == 1


def test_attachments_are_stored_under_a_safe_name(imap_server, folder, rep_a, settings, tmp_path):
    make_contact(rep_a, email="ada@example.com")
    message = make_message(sender="ada@example.com", message_id="<att@ex>")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="../x.pdf")
    message.add_attachment(b"x" * 2000, maintype="text", subtype="plain", filename="big.txt")
    imap_server.deliver(message, folder)
    settings.CYCLECRM = {**settings.CYCLECRM, "EMAIL_MAX_ATTACHMENT_BYTES": 1000}

    mailbox_poll(mailbox=make_mailbox(imap_server, folder))

    [email] = emails()
    [stored] = email.attachments.all()
    assert (stored.filename, stored.content_type, stored.size) == ("../x.pdf", "application/pdf", 8)
    assert ".." not in stored.file.name
    assert stored.file.path.startswith(str(tmp_path))
    assert stored.file.read() == b"%PDF-1.4"
    assert "big.txt" in email.body  # noted as not kept


def test_a_message_that_cannot_be_logged_is_skipped_not_blocking(
    imap_server, folder, rep_a, monkeypatch
):
    from cyclecrm.core.errors import ValidationFailed
    from cyclecrm.integrations.services import inbound

    make_contact(rep_a, email="ada@example.com")
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<bad@ex>"), folder)
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<good@ex>"), folder)
    mailbox = make_mailbox(imap_server, folder)
    real_log = inbound.interaction_log

    def refuse_the_first(*, actor, data):
        if data["message_id"] == "<bad@ex>":
            raise ValidationFailed(fields={"subject": ["Refused."]})
        return real_log(actor=actor, data=data)

    monkeypatch.setattr(inbound, "interaction_log", refuse_the_first)

    result = mailbox_poll(mailbox=mailbox)

    assert (result.error, result.fetched, result.ingested) == ("", 2, 1)
    assert [item.message_id for item in emails()] == ["<good@ex>"]
    failed = InboundMessage.objects.get(outcome=InboundOutcome.FAILED)
    assert "Refused" in failed.error
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2


def test_the_poll_job_runs_every_minute_through_the_service(imap_server, folder, rep_a):
    from huey.contrib.djhuey import HUEY

    from cyclecrm.integrations.tasks import poll_mailboxes

    for minute in (0, 13, 59):
        due = HUEY.read_periodic(dt.datetime(2031, 1, 1, 10, minute))
        assert poll_mailboxes.task_class in {type(task) for task in due}
    make_contact(rep_a, email="ada@example.com")
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<job@ex>"), folder)
    make_mailbox(imap_server, folder)

    poll_mailboxes.call_local()

    assert [item.message_id for item in emails()] == ["<job@ex>"]


def test_a_crash_mid_message_loses_nothing_and_duplicates_nothing(
    imap_server, folder, rep_a, monkeypatch
):
    make_contact(rep_a, email="ada@example.com")
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<one@ex>"), folder)
    imap_server.deliver(make_message(sender="ada@example.com", message_id="<two@ex>"), folder)
    mailbox = make_mailbox(imap_server, folder)
    real_create = InboundMessage.objects.create

    def crash_on_the_second(**fields):
        if fields["message_id"] == "<two@ex>":
            raise RuntimeError("worker killed")
        return real_create(**fields)

    monkeypatch.setattr(InboundMessage.objects, "create", crash_on_the_second)

    crashed = mailbox_poll(mailbox=mailbox)

    # the first message is in, the second rolled back with its interaction; the cursor sits
    # between them
    assert "worker killed" in crashed.error
    assert [item.message_id for item in emails()] == ["<one@ex>"]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 1

    monkeypatch.setattr(InboundMessage.objects, "create", real_create)
    Mailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=None)
    mailbox.refresh_from_db()
    again = mailbox_poll(mailbox=mailbox)

    assert (again.error, again.fetched, again.ingested) == ("", 1, 1)
    assert [item.message_id for item in emails()] == ["<one@ex>", "<two@ex>"]
