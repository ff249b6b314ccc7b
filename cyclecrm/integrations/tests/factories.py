"""Factories for the e-mail tests: mailboxes pointing at the test IMAP server, and messages."""

from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.utils import timezone

from cyclecrm.core.testing.mailservers import ImapTestServer
from cyclecrm.integrations.credentials import encrypt_password
from cyclecrm.integrations.models import Mailbox, MailboxSecurity


def make_mailbox(imap: ImapTestServer, folder: str, **fields: Any) -> Mailbox:
    fields.setdefault("name", f"Mailbox {folder}")
    fields.setdefault("username", imap.username)
    return Mailbox.objects.create(
        host=imap.host,
        port=imap.port,
        security=MailboxSecurity.NONE,
        password_encrypted=encrypt_password(imap.password),
        folder=folder,
        **fields,
    )


def make_message(
    *,
    sender: str,
    to: str = "sales@crm.example",
    subject: str = "Hello",
    body: str = "Hi there",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    cc: str = "",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body)
    return message
