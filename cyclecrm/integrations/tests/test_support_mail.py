"""E-mail to case: a support mailbox opens cases and appends replies; a public reply on a case
e-mails the customer with the case number and records the first response."""

import pytest
from django.utils import timezone

from cyclecrm.activities.models import Channel, DeliveryStatus, Interaction
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.models import MailboxPurpose
from cyclecrm.integrations.services.inbound import mailbox_poll
from cyclecrm.integrations.services.outbound import email_send
from cyclecrm.integrations.tests.factories import make_mailbox, make_message
from cyclecrm.support.models import Case, CaseChannel, CaseStatus

pytestmark = pytest.mark.django_db


def test_support_mail_opens_a_case_and_follow_ups_join_it(
    imap_server, smtp_server, huey_immediate, django_capture_on_commit_callbacks, support_agent
):
    # given
    folder = f"Support-{timezone.now():%H%M%S%f}"
    ada = make_contact(support_agent, email="ada@example.com")
    mailbox = make_mailbox(imap_server, folder, purpose=MailboxPurpose.SUPPORT, owner=support_agent)
    imap_server.deliver(
        make_message(sender="ada@example.com", subject="Printer on fire", message_id="<c1@ex>"),
        folder,
    )

    # when
    mailbox_poll(mailbox=mailbox)

    # then a case is opened for the contact, with the message on it
    case = Case.objects.get()
    assert (case.subject, case.contact_id, case.channel) == (
        "Printer on fire",
        ada.pk,
        CaseChannel.EMAIL,
    )
    assert case.owner_id == support_agent.pk
    [incoming] = Interaction.objects.filter(case=case)
    assert incoming.message_id == "<c1@ex>"

    # when the agent replies publicly
    with django_capture_on_commit_callbacks(execute=True):
        reply = email_send(actor=support_agent, data={"case": case.pk, "body": "On our way."})

    # then the customer gets it, threaded and numbered, and the first response is recorded
    message = smtp_server.received[0].message
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == f"Re: Printer on fire [{case.number}]"
    assert message["In-Reply-To"] == "<c1@ex>"
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert case.status == CaseStatus.OPEN

    # when the customer answers with the number in the subject, from another address
    imap_server.deliver(
        make_message(
            sender="ada.private@example.org",
            subject=f"Re: Printer on fire [{case.number}]",
            message_id="<c2@ex>",
        ),
        folder,
    )
    # and a new matter arrives
    imap_server.deliver(
        make_message(sender="bob@example.net", subject="Other problem", message_id="<c3@ex>"),
        folder,
    )
    mailbox_poll(mailbox=mailbox)

    # then the answer joins the case, the new matter opens a second case
    assert Interaction.objects.filter(case=case, channel=Channel.EMAIL).count() == 3
    second = Case.objects.exclude(pk=case.pk).get()
    assert second.subject == "Other problem"
    assert second.contact_id is None


def test_case_replies_ask_for_answers_at_the_support_mailbox(
    imap_server, smtp_server, huey_immediate, django_capture_on_commit_callbacks, support_agent
):
    from cyclecrm.support.services import case_create

    make_mailbox(
        imap_server, "SupportInbox", purpose=MailboxPurpose.SUPPORT, username="help@crm.example"
    )
    ada = make_contact(support_agent, email="ada@example.com")
    case = case_create(actor=support_agent, data={"subject": "Broken", "contact": ada.pk})

    with django_capture_on_commit_callbacks(execute=True):
        email_send(actor=support_agent, data={"case": case.pk, "body": "Looking into it."})

    message = smtp_server.received[0].message
    assert message["Reply-To"] == "help@crm.example"
    assert message["Subject"] == f"Broken [{case.number}]"
    assert message["In-Reply-To"] is None
