"""Incoming mail: poll each mailbox over IMAP and log every new message once.

Rules kept here:
- Only UIDs above the mailbox's `last_uid` are fetched; when the folder's UIDVALIDITY changes
  the cursor restarts from zero, and the ledger (`InboundMessage`, one row per Message-ID per
  mailbox) plus the Message-ID of existing interactions keep the re-fetch from duplicating.
- Each message is ingested in its own transaction, which also advances the cursor: a crash
  leaves either both or neither, so nothing is lost or logged twice.
- Threading: a message replying to (In-Reply-To / References) a logged e-mail joins its thread
  (`thread_key`, the first Message-ID of the thread) and inherits its links.
- Sales mailboxes link the message to the first contact (then open lead) among From, To, Cc;
  an unknown sender becomes a lead when the mailbox says so, otherwise the message is noted
  as unmatched. Mail sent by a CRM user (From is a user's address) is logged as outbound.
- Support mailboxes append to the case named in the subject (`[CASE-000042]`) or in the
  thread, reopening a resolved one; otherwise they open a new case (channel e-mail).
- A failed poll records `last_error` and `failure_count` and waits 2^failures minutes (at most
  an hour) before the next try.
"""

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from cyclecrm.activities.interactions import interaction_log
from cyclecrm.activities.models import Channel, Direction, Interaction, InteractionAttachment
from cyclecrm.contacts.models import Contact
from cyclecrm.core.db import json_list_contains
from cyclecrm.core.errors import CrmError
from cyclecrm.identity.models import User
from cyclecrm.identity.system import SYSTEM_USERNAME, system_actor
from cyclecrm.integrations.credentials import CredentialError, mailbox_password
from cyclecrm.integrations.imap import ImapError, ImapSession
from cyclecrm.integrations.models import InboundMessage, InboundOutcome, Mailbox, MailboxPurpose
from cyclecrm.integrations.parsing import Attachment, ParsedEmail, message_key, parse_message
from cyclecrm.leads.models import Lead

logger = logging.getLogger(__name__)

CASE_NUMBER = re.compile(r"\[\s*(CASE-\d+)\s*\]", re.IGNORECASE)
MAX_BACKOFF_MINUTES = 60
MAX_ADDRESSES = 200  # what an interaction keeps of a mass mailing's recipient list
LINKS = ("contact", "account", "lead", "opportunity", "case")


@dataclass
class PollResult:
    mailbox_id: int
    fetched: int = 0
    ingested: int = 0
    error: str = ""


# -- polling ------------------------------------------------------------------------------------


def mailboxes_poll_due(*, now: dt.datetime | None = None) -> list[PollResult]:
    """Poll every active mailbox whose back-off has passed (the periodic job)."""
    now = now or timezone.now()
    due = Mailbox.objects.filter(is_active=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    )
    return [mailbox_poll(mailbox=mailbox) for mailbox in due.order_by("id")]


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """Fetch and ingest the new messages of one mailbox; never raises for a server problem."""
    result = PollResult(mailbox_id=mailbox.pk)
    try:
        password = mailbox_password(
            password_encrypted=mailbox.password_encrypted, password_env=mailbox.password_env
        )
        with ImapSession(
            host=mailbox.host,
            port=mailbox.port,
            security=mailbox.security,
            username=mailbox.username,
            password=password,
        ) as session:
            uidvalidity = session.select(mailbox.folder)
            if mailbox.uidvalidity != uidvalidity:
                # A new UIDVALIDITY invalidates every UID seen so far: start over.
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
                mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
            for uid in session.uids_after(mailbox.last_uid):
                raw = session.fetch(uid)
                result.fetched += 1
                if _ingest_or_skip(mailbox, uidvalidity, uid, raw):
                    result.ingested += 1
    except (ImapError, CredentialError) as exc:
        result.error = str(exc)
    except Exception as exc:  # one broken message or bug must not stop the other mailboxes
        logger.exception("Polling mailbox %s failed", mailbox.pk)
        result.error = f"{type(exc).__name__}: {exc}"
    _record_outcome(mailbox, result.error)
    return result


def _record_outcome(mailbox: Mailbox, error: str) -> None:
    now = timezone.now()
    if error:
        failures = mailbox.failure_count + 1
        delay = min(2 ** (failures - 1), MAX_BACKOFF_MINUTES)
        fields: dict[str, Any] = {
            "last_error": error[:5000],
            "failure_count": failures,
            "next_poll_at": now + dt.timedelta(minutes=delay),
        }
    else:
        fields = {"last_error": "", "failure_count": 0, "next_poll_at": None}
        fields["last_success_at"] = now
    fields["last_polled_at"] = now
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    for name, value in fields.items():
        setattr(mailbox, name, value)


def _ingest_or_skip(mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> bool:
    """A message that cannot be logged (malformed, refused by a service) is recorded as failed
    and passed over, so one bad message does not block the mailbox. Database and server errors
    propagate: the poll fails and the message is tried again next time."""
    try:
        return message_ingest(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw)
    except (CrmError, ValueError, LookupError) as exc:
        reason = f"{exc.message} {exc.fields or ''}" if isinstance(exc, CrmError) else str(exc)
        logger.warning("Mailbox %s: UID %s skipped: %s", mailbox.pk, uid, reason)
        message_skip(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw, error=reason)
        return False


def message_skip(*, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes, error: str) -> None:
    """Note a message as failed and move the cursor past it."""
    key = message_key("", raw)
    with transaction.atomic():
        InboundMessage.objects.get_or_create(
            mailbox=mailbox,
            message_key=key,
            defaults={
                "uidvalidity": uidvalidity,
                "uid": uid,
                "outcome": InboundOutcome.FAILED,
                "error": error.strip()[:5000],
            },
        )
        Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
    mailbox.last_uid = max(mailbox.last_uid, uid)


InboundFilter = Callable[[bytes], str | None]
_FILTERS: list[InboundFilter] = []


def register_inbound_filter(handler: InboundFilter) -> None:
    """Let another app take messages before routing (e-mail campaigns take bounces): the
    handler returns an `InboundOutcome` value when it handled the message, else None."""
    if handler not in _FILTERS:
        _FILTERS.append(handler)


def _filtered(raw: bytes) -> str | None:
    return next((outcome for handler in _FILTERS if (outcome := handler(raw))), None)


def message_ingest(*, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> bool:
    """Log one fetched message and advance the cursor past it, atomically. False when it was
    already ingested (by this mailbox, or as an interaction with the same Message-ID)."""
    parsed = parse_message(
        raw, max_attachment_bytes=settings.CYCLECRM["EMAIL_MAX_ATTACHMENT_BYTES"]
    )
    key = message_key(parsed.message_id, raw)
    with transaction.atomic():
        current = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if current.uidvalidity != uidvalidity or uid <= current.last_uid:
            return False  # a concurrent poll got here first
        new = not InboundMessage.objects.filter(mailbox=mailbox, message_key=key).exists()
        if new:
            outcome, interaction = _filtered(raw), None
            if outcome is None:
                outcome, interaction = _route(mailbox, parsed)
            InboundMessage.objects.create(
                mailbox=mailbox,
                message_key=key,
                message_id=parsed.message_id,
                uidvalidity=uidvalidity,
                uid=uid,
                outcome=outcome,
                interaction=interaction,
            )
        Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
    mailbox.last_uid = uid
    return new


# -- routing ------------------------------------------------------------------------------------


def _route(mailbox: Mailbox, parsed: ParsedEmail) -> tuple[str, Interaction | None]:
    if parsed.message_id:
        existing = Interaction.objects.filter(
            channel=Channel.EMAIL, message_id=parsed.message_id
        ).first()
        if existing is not None:  # our own sent mail, or logged through another mailbox
            return InboundOutcome.LOGGED, existing
    actor = system_actor()
    parent = _thread_parent(parsed)
    internal = _user_addresses(parsed.participants)
    direction = Direction.OUTBOUND if parsed.from_address in internal else Direction.INBOUND
    others = [address for address in parsed.participants if address not in internal]
    others = [address for address in others if address != mailbox.username.lower()]
    data = _interaction_data(mailbox, parsed, parent, direction)
    if mailbox.purpose == MailboxPurpose.SUPPORT:
        return InboundOutcome.CASE, _to_case(actor, mailbox, parsed, parent, others, data)
    links = _links(others, parent)
    outcome = InboundOutcome.LOGGED
    if not links and mailbox.create_leads_from_unknown and direction == Direction.INBOUND:
        links = {"lead": _lead_from_sender(actor, mailbox, parsed).pk}
        outcome = InboundOutcome.LEAD
    if not links:
        return InboundOutcome.UNMATCHED, None
    data["owner_id"] = data["owner_id"] or _record_owner(links)
    interaction = interaction_log(actor=actor, data={**data, **links})
    _attach(interaction, parsed.attachments)
    return outcome, interaction


def _interaction_data(
    mailbox: Mailbox, parsed: ParsedEmail, parent: Interaction | None, direction: str
) -> dict[str, Any]:
    if parent is not None:
        thread_key = parent.thread_key or parent.message_id
    else:
        thread_key = (parsed.references or [parsed.in_reply_to or parsed.message_id])[0]
    body = parsed.body_html
    if parsed.skipped_attachments:
        names = ", ".join(parsed.skipped_attachments)
        body += f"<p><em>Attachments not kept (too large): {names}</em></p>"
    return {
        "channel": Channel.EMAIL,
        "direction": direction,
        "subject": parsed.subject,
        "body": body,
        "occurred_at": parsed.date or timezone.now(),
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": " ".join(parsed.references),
        "thread_key": thread_key[:255],
        "from_address": parsed.from_address,
        "to_addresses": parsed.to[:MAX_ADDRESSES],
        "cc_addresses": parsed.cc[:MAX_ADDRESSES],
        "owner_id": mailbox.owner_id,
    }


def _thread_parent(parsed: ParsedEmail) -> Interaction | None:
    """The logged e-mail this one answers: In-Reply-To first, then References newest first."""
    candidates = [parsed.in_reply_to, *reversed(parsed.references)]
    candidates = [item for item in dict.fromkeys(candidates) if item]
    if not candidates:
        return None
    found = {
        item.message_id: item
        for item in Interaction.objects.filter(channel=Channel.EMAIL, message_id__in=candidates)
    }
    return next((found[item] for item in candidates if item in found), None)


def _user_addresses(addresses: list[str]) -> set[str]:
    users = User.objects.filter(is_active=True, email__in=addresses).exclude(
        username=SYSTEM_USERNAME
    )
    return {email.lower() for email in users.values_list("email", flat=True)}


def contact_for_address(address: str) -> Contact | None:
    """The contact with this address (primary first, then other addresses; oldest wins)."""
    for condition in (Q(email=address), json_list_contains("other_emails", address)):
        contact = Contact.objects.filter(condition).order_by("id").first()
        if contact is not None:
            return contact
    return None


def _links(addresses: list[str], parent: Interaction | None) -> dict[str, int]:
    links: dict[str, int] = {}
    if parent is not None:
        links = {
            name: getattr(parent, f"{name}_id") for name in LINKS if getattr(parent, f"{name}_id")
        }
    for address in addresses:
        contact = contact_for_address(address)
        if contact is not None:
            if links.get("contact") != contact.pk:
                links.pop("account", None)
            links["contact"] = contact.pk
            return links
    if not links:
        for address in addresses:
            lead = Lead.objects.filter(email=address, converted_contact__isnull=True).first()
            if lead is not None:
                return {"lead": lead.pk}
    return links


def _record_owner(links: dict[str, int]) -> int | None:
    """Without a mailbox owner, an e-mail belongs to whoever owns the record it is logged on,
    so it shows to the same people."""
    if "contact" in links:
        return Contact.objects.filter(pk=links["contact"]).values_list("owner_id", flat=True)[0]
    if "lead" in links:
        return Lead.objects.filter(pk=links["lead"]).values_list("owner_id", flat=True)[0]
    return None


def _lead_from_sender(actor: User, mailbox: Mailbox, parsed: ParsedEmail) -> Lead:
    from cyclecrm.leads.services import lead_create

    first, _, last = parsed.from_name.partition(" ")
    data: dict[str, Any] = {
        "first_name": first[:100],
        "last_name": last[:100],
        "email": parsed.from_address,
        "source": "other",
        "owner_id": mailbox.owner_id,
    }
    return lead_create(actor=actor, data=data, assign=mailbox.owner_id is None)


def _to_case(
    actor: User,
    mailbox: Mailbox,
    parsed: ParsedEmail,
    parent: Interaction | None,
    others: list[str],
    data: dict[str, Any],
) -> Interaction:
    # Imported here: support is an optional neighbour of the sales e-mail flow.
    from cyclecrm.support.models import Case, CaseStatus
    from cyclecrm.support.services import case_create, case_reopen

    number = CASE_NUMBER.search(parsed.subject)
    case = Case.objects.filter(number=number.group(1).upper()).first() if number else None
    if case is None and parent is not None and parent.case_id:
        case = Case.objects.filter(pk=parent.case_id).first()
    sender = contact_for_address(parsed.from_address) if parsed.from_address in others else None
    if case is None:
        case = case_create(
            actor=actor,
            data={
                "subject": parsed.subject or "(no subject)",
                "description": data["body"],
                "contact_id": sender.pk if sender else None,
                "channel": "email",
                "owner_id": mailbox.owner_id,
            },
        )
    elif case.status == CaseStatus.RESOLVED:
        case = case_reopen(actor=actor, case=case, version=case.version)
    links: dict[str, Any] = {"case": case.pk}
    contact_id = sender.pk if sender else case.contact_id
    if contact_id:
        links["contact"] = contact_id
    data["owner_id"] = data["owner_id"] or case.owner_id
    interaction = interaction_log(actor=actor, data={**data, **links})
    _attach(interaction, parsed.attachments)
    return interaction


def storage_name(filename: str) -> str:
    """A safe file name for storage (no directories, no odd characters); the original name
    is kept in `filename` for display."""
    try:
        return get_valid_filename(PurePath(filename.replace("\\", "/")).name)
    except SuspiciousFileOperation:
        return "attachment"


def _attach(interaction: Interaction, attachments: list[Attachment]) -> None:
    for item in attachments:
        InteractionAttachment.objects.create(
            interaction=interaction,
            file=ContentFile(item.content, name=storage_name(item.filename)),
            filename=item.filename,
            content_type=item.content_type,
            size=len(item.content),
            content_id=item.content_id,
        )
