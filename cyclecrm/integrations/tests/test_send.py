"""Sending through a real SMTP server (aiosmtpd on 127.0.0.1)."""

import pytest

from cyclecrm.activities.models import DeliveryStatus, Direction, Interaction
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.models import EmailTemplate
from cyclecrm.integrations.services.outbound import (
    DO_NOT_CONTACT,
    NO_CONSENT,
    OutgoingFile,
    email_deliver,
    email_send,
)
from cyclecrm.integrations.tasks import send_email

pytestmark = pytest.mark.django_db


def send(actor, django_capture_on_commit_callbacks, **data) -> Interaction:
    attachments = data.pop("attachments", None)
    with django_capture_on_commit_callbacks(execute=True):
        interaction = email_send(actor=actor, data=data, attachments=attachments)
    interaction.refresh_from_db()
    return interaction


def test_a_sent_email_arrives_with_its_headers_and_is_on_the_timeline(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a, settings
):
    # given
    settings.DEFAULT_FROM_EMAIL = "crm@sales.example"
    rep_a.first_name, rep_a.last_name, rep_a.email = "Rita", "Rep", "rita@sales.example"
    rep_a.save()
    ada = make_contact(rep_a, email="ada@example.com")

    # when
    interaction = send(
        rep_a,
        django_capture_on_commit_callbacks,
        contact=ada.pk,
        subject="Our offer",
        body="Dear Ada,\n\nhere it is.",
        attachments=[OutgoingFile("offer.txt", b"42 engines", "text/plain")],
    )

    # then
    [mail] = smtp_server.received
    message = mail.message
    assert mail.rcpt_tos == ["ada@example.com"]
    assert message["From"] == "Rita Rep <crm@sales.example>"
    assert message["To"] == "ada@example.com"
    assert message["Reply-To"] == "rita@sales.example"
    assert message["Subject"] == "Our offer"
    assert message["Message-ID"] == interaction.message_id
    assert interaction.message_id.endswith("@sales.example>")
    assert message.get_body(("plain",)).get_content().startswith("Dear Ada,\n\nhere it is.")
    [attachment] = message.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content()) == ("offer.txt", "42 engines")
    assert interaction.contact_id == ada.pk
    assert interaction.direction == Direction.OUTBOUND
    assert interaction.delivery_status == DeliveryStatus.SENT
    assert interaction.delivery_error == ""
    assert interaction.attachments.count() == 1


def test_a_reply_threads_with_in_reply_to_and_references(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a
):
    ada = make_contact(rep_a, email="ada@example.com")
    first = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk, subject="Hi", body="1")

    reply = send(
        rep_a,
        django_capture_on_commit_callbacks,
        contact=ada.pk,
        subject="Hi",
        body="2",
        reply_to=first.pk,
    )

    message = smtp_server.received[1].message
    assert message["Subject"] == "Re: Hi"
    assert message["In-Reply-To"] == first.message_id
    assert message["References"] == first.message_id
    assert reply.thread_key == first.message_id


def test_a_template_fills_merge_fields_without_reaching_beyond_the_record(
    smtp_server, huey_immediate, django_capture_on_commit_callbacks, rep_a
):
    ada = make_contact(rep_a, first_name="Ada", email="ada@example.com")
    template = EmailTemplate.objects.create(
        name="Welcome",
        subject="Welcome {{ contact.first_name }}",
        body="Hello {{ contact.first_name }} <3 [{{ contact.owner.password }}]",
    )

    sent = send(rep_a, django_capture_on_commit_callbacks, contact=ada.pk, template=template.pk)

    message = smtp_server.received[0].message
    assert message["Subject"] == "Welcome Ada"
    assert message.get_body(("plain",)).get_content().strip() == "Hello Ada <3 []"
    assert sent.subject == "Welcome Ada"


def test_refused_recipients_mark_the_email_failed_with_the_error(
    smtp_server, django_capture_on_commit_callbacks, rep_a
):
    smtp_server.refuse("550 5.1.1 No such mailbox here")
    ada = make_contact(rep_a, email="ada@example.com")
    interaction = email_send(actor=rep_a, data={"contact": ada.pk, "subject": "x", "body": "y"})
    assert interaction.delivery_status == DeliveryStatus.QUEUED

    # a try with retries left keeps it queued, noting the error, and raises for the retry
    with pytest.raises(Exception, match="No such mailbox"):
        email_deliver(interaction_id=interaction.pk, final=False)
    interaction.refresh_from_db()
    assert interaction.delivery_status == DeliveryStatus.QUEUED
    assert "550" in interaction.delivery_error

    # the last try marks it failed
    status = send_email.call_local(interaction.pk)

    interaction.refresh_from_db()
    assert status == DeliveryStatus.FAILED
    assert interaction.delivery_status == DeliveryStatus.FAILED
    assert "550 5.1.1 No such mailbox here" in interaction.delivery_error
    assert smtp_server.received == []


def test_an_unreachable_smtp_server_marks_the_email_failed(rep_a, settings):
    from cyclecrm.core.testing.mailservers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    ada = make_contact(rep_a, email="ada@example.com")
    interaction = email_send(actor=rep_a, data={"contact": ada.pk, "subject": "x", "body": "y"})

    assert email_deliver(interaction_id=interaction.pk) == DeliveryStatus.FAILED
    interaction.refresh_from_db()
    assert "ConnectionRefusedError" in interaction.delivery_error
    # a sent or failed e-mail is never sent again
    assert email_deliver(interaction_id=interaction.pk) == DeliveryStatus.FAILED


def test_do_not_contact_and_marketing_consent_are_respected(rep_a):
    blocked = make_contact(rep_a, email="no@example.com", do_not_contact=True)
    plain = make_contact(rep_a, email="plain@example.com")
    opted_in = make_contact(rep_a, email="yes@example.com", consent_email=True)
    promo = EmailTemplate.objects.create(name="Promo", subject="Sale", body="!", is_marketing=True)

    with pytest.raises(ValidationFailed) as refused:
        email_send(actor=rep_a, data={"contact": blocked.pk, "subject": "a", "body": "b"})
    assert refused.value.fields == {"to": [DO_NOT_CONTACT.format(address="no@example.com")]}
    with pytest.raises(ValidationFailed) as no_consent:
        email_send(actor=rep_a, data={"contact": plain.pk, "template": promo.pk})
    assert no_consent.value.fields == {"to": [NO_CONSENT.format(address="plain@example.com")]}

    sent = email_send(actor=rep_a, data={"contact": opted_in.pk, "template": promo.pk})
    assert sent.delivery_status == DeliveryStatus.QUEUED
    # and a plain 1:1 e-mail to a contact without marketing consent is fine
    email_send(actor=rep_a, data={"contact": plain.pk, "subject": "a", "body": "b"})


def test_a_record_the_sender_may_not_see_is_not_found(rep_a, rep_b):
    theirs = make_contact(rep_b, email="theirs@example.com")
    with pytest.raises(Exception, match="No contact"):
        email_send(actor=rep_a, data={"contact": theirs.pk, "subject": "a", "body": "b"})
