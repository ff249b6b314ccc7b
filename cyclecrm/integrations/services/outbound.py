"""Outgoing mail: compose from a record page or the API, log, then send in the background.

Rules kept here:
- An e-mail is sent from one record (`contact`, `lead`, `opportunity` or `case`) the actor may
  read; recipients default to that record's address (a case's or opportunity's contact).
- A template fills subject and body with the record's merge fields (`templating.py`); text the
  caller sends wins over the template's.
- Consent: nobody flagged do-not-contact is mailed, except in reply to their own case; marketing
  mail (a marketing template, or `marketing: true`) goes only to contacts and leads who gave
  e-mail consent.
- The mail is logged at once as an outbound `email` interaction (status `queued`, its
  Message-ID set), attachments stored with it; a Huey job sends it after commit and sets `sent`,
  or `failed` with the error once the retries are spent.
- Replies thread: In-Reply-To is the parent's Message-ID and References its chain. A reply on a
  case carries the case number in the subject and records the case's first response.
- Tracking (docs/email.md): with `track` (default: the EMAIL_TRACK_ONE_TO_ONE setting; nurture
  sequences pass their step's flag, on by default) the e-mail gets an `EmailTracking` row, and
  the sent message has its links rewritten to click URLs and an open pixel (`tracking.py`).
  Replies on a case are never tracked.
"""

import re
import smtplib
from dataclasses import dataclass
from email.utils import formataddr, make_msgid
from html import unescape
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from cyclecrm.activities.interactions import interaction_log, interaction_update
from cyclecrm.activities.models import (
    Channel,
    DeliveryStatus,
    Direction,
    Interaction,
    InteractionAttachment,
)
from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.normalize import normalize_email
from cyclecrm.core.errors import FieldErrors, NotFound, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations import tracking
from cyclecrm.integrations.models import EmailTemplate, EmailTracking, Mailbox, MailboxPurpose
from cyclecrm.integrations.parsing import clean_address
from cyclecrm.integrations.services.inbound import contact_for_address, storage_name
from cyclecrm.integrations.templating import merge_context, render_text
from cyclecrm.leads.models import Lead

RECORD_KINDS = ("contact", "lead", "opportunity", "case")
MAX_RECIPIENTS = 50
MAX_ATTACHMENTS = 10
NEEDS_RECORD = "Send the e-mail from one contact, lead, opportunity or case."
NO_RECIPIENT = "Add at least one recipient (the record has no e-mail address)."
DO_NOT_CONTACT = "{address} asked not to be contacted."
NO_CONSENT = "{address} has not consented to marketing e-mail."
SUBJECT_REQUIRED = "Enter a subject."
BODY_REQUIRED = "Enter a message."
_CASE_TAG = re.compile(r"\[CASE-\d+\]", re.IGNORECASE)


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def _record_models() -> dict[str, type[Model]]:
    from cyclecrm.pipeline.models import Opportunity
    from cyclecrm.support.models import Case

    return {"contact": Contact, "lead": Lead, "opportunity": Opportunity, "case": Case}


def email_record(*, actor: User, kind: str, pk: Any) -> Model:
    """The record an e-mail is sent from, if the actor may read it."""
    model = _record_models()[kind]
    record = None
    if str(pk).isdigit():
        record = access.restrict(model.objects.filter(pk=pk), actor).first()
    if record is None:
        raise NotFound(f"No {kind} with this id.", fields={kind: ["Not found."]})
    return record


def _pick_record(actor: User, data: dict[str, Any]) -> tuple[str, Model]:
    given = [kind for kind in RECORD_KINDS if data.get(kind) is not None]
    if len(given) != 1:
        raise ValidationFailed(fields={"record": [NEEDS_RECORD]})
    kind = given[0]
    return kind, email_record(actor=actor, kind=kind, pk=data[kind])


def _record_address(kind: str, record: Any) -> str:
    if kind in ("contact", "lead"):
        return record.email
    contact = getattr(record, "contact", None)
    return contact.email if contact is not None else ""


def _addresses(value: Any, field: str, errors: FieldErrors) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    found = []
    for item in value or []:
        try:
            address = normalize_email(str(item))
        except ValueError:
            errors.add(field, f"Not a valid e-mail address: {str(item)[:100]}")
            continue
        if address:
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        errors.add(field, f"At most {MAX_RECIPIENTS} addresses.")
    return list(dict.fromkeys(found))


def _check_consent(
    addresses: list[str], *, marketing: bool, case_reply: bool, errors: FieldErrors
) -> None:
    for address in addresses:
        person: Any = contact_for_address(address)
        if person is None:
            person = Lead.objects.filter(email=address).order_by("id").first()
        if person is not None and getattr(person, "do_not_contact", False) and not case_reply:
            errors.add("to", DO_NOT_CONTACT.format(address=address))
        elif marketing and (person is None or not person.consent_email):
            errors.add("to", NO_CONSENT.format(address=address))


def _parent(kind: str, record: Any, reply_to: Any) -> Interaction | None:
    """The e-mail this one answers: the one named, or on a case its latest e-mail."""
    emails = Interaction.objects.filter(channel=Channel.EMAIL).exclude(message_id="")
    if reply_to is not None:
        parent = emails.filter(pk=reply_to, **{f"{kind}_id": record.pk}).first()
        if parent is None:
            raise ValidationFailed(fields={"reply_to": ["No e-mail of this record with this id."]})
        return parent
    if kind == "case":
        return emails.filter(case_id=record.pk).order_by("-occurred_at", "-id").first()
    return None


def _subject(kind: str, record: Any, subject: str, parent: Interaction | None) -> str:
    subject = " ".join(subject.split())
    if parent is not None and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    if kind == "case" and not _CASE_TAG.search(subject):
        subject = f"{subject} [{record.number}]"
    return subject[:300]


def _content(actor: User, record: Any, data: dict[str, Any]) -> tuple[str, str, bool]:
    subject, body = data.get("subject") or "", data.get("body") or ""
    marketing = bool(data.get("marketing"))
    template_id = data.get("template")
    if template_id is not None:
        template = EmailTemplate.objects.filter(pk=template_id, is_active=True).first()
        if template is None or not access.can(actor, "read", template):
            raise ValidationFailed(fields={"template": ["No active template with this id."]})
        context = merge_context(record=record, sender=actor)
        subject = subject or render_text(template.subject, context, field="subject")
        body = body or render_text(template.body, context, field="body")
        marketing = marketing or template.is_marketing
    if not subject.strip() and record.record_type == "case":
        subject = record.subject  # a case reply needs no subject of its own
    return subject.strip(), body.strip(), marketing


def email_send(
    *, actor: User, data: dict[str, Any], attachments: list[OutgoingFile] | None = None
) -> Interaction:
    """Queue an e-mail; see the module doc. `data`: one of `contact`/`lead`/`opportunity`/`case`
    (id), `to`, `cc` (addresses; `to` defaults to the record's), `subject`, `body` (text),
    `template` (id), `marketing`, `reply_to` (id of the e-mail interaction answered), `track`
    (open and click tracking; None: the workspace setting)."""
    kind, record = _pick_record(actor, data)
    subject, body, marketing = _content(actor, record, data)
    errors = FieldErrors()
    raw_to = data.get("to") or _record_address(kind, record)
    to = _addresses(raw_to, "to", errors)
    cc = _addresses(data.get("cc"), "cc", errors)
    if not raw_to:
        errors.add("to", NO_RECIPIENT)
    if not subject:
        errors.add("subject", SUBJECT_REQUIRED)
    if not body:
        errors.add("body", BODY_REQUIRED)
    files = attachments or []
    if len(files) > MAX_ATTACHMENTS:
        errors.add("attachments", f"At most {MAX_ATTACHMENTS} files.")
    limit = settings.CYCLECRM["EMAIL_MAX_ATTACHMENT_BYTES"]
    if sum(len(item.content) for item in files) > limit:
        errors.add("attachments", f"At most {limit // 1_000_000} MB in all.")
    _check_consent([*to, *cc], marketing=marketing, case_reply=kind == "case", errors=errors)
    errors.raise_if_any()
    parent = _parent(kind, record, data.get("reply_to"))
    subject = _subject(kind, record, subject, parent)
    message_id = make_msgid(domain=_domain())
    references = f"{parent.references} {parent.message_id}".strip() if parent else ""
    links: dict[str, Any] = {kind: record.pk}
    if kind in ("opportunity", "case") and getattr(record, "contact_id", None):
        links["contact"] = record.contact_id
    with transaction.atomic():
        interaction = interaction_log(
            actor=actor,
            data={
                "channel": Channel.EMAIL,
                "direction": Direction.OUTBOUND,
                "subject": subject,
                "body": body,
                "message_id": message_id,
                "in_reply_to": parent.message_id if parent else "",
                "references": references,
                "thread_key": (parent.thread_key or parent.message_id) if parent else message_id,
                # A development default like cyclecrm@localhost is not a storable address.
                "from_address": clean_address(settings.DEFAULT_FROM_EMAIL),
                "to_addresses": to,
                "cc_addresses": cc,
                "delivery_status": DeliveryStatus.QUEUED,
                **links,
            },
        )
        if _tracked(kind, data.get("track")):
            EmailTracking.objects.create(interaction=interaction)
        for item in files:
            InteractionAttachment.objects.create(
                interaction=interaction,
                file=ContentFile(item.content, name=storage_name(item.filename)),
                filename=item.filename[:255],
                content_type=item.content_type[:100],
                size=len(item.content),
            )
        if kind == "case":
            from cyclecrm.support.services import case_record_first_response

            case_record_first_response(actor=actor, case=record)
        transaction.on_commit(lambda: _enqueue(interaction.pk))
    return interaction


def _tracked(kind: str, track: Any) -> bool:
    if kind == "case":
        return False  # support answers are service mail, not to be measured
    if track is None:
        return bool(settings.CYCLECRM["EMAIL_TRACK_ONE_TO_ONE"])
    return bool(track)


def _enqueue(interaction_id: int) -> None:
    from cyclecrm.integrations.tasks import send_email

    send_email(interaction_id)


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    return address.rpartition("@")[2] or "localhost"


def html_to_text(html: str) -> str:
    """The stored (sanitized HTML) body as plain text for the text/plain part."""
    text = re.sub(r"<br\s*/?>", "\n", html)
    text = re.sub(r"</p>\s*", "\n\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return unescape(text).strip() + "\n"


def _build(interaction: Interaction) -> EmailMultiAlternatives:
    sender = interaction.owner
    name = sender.get_full_name() if sender is not None else ""
    headers = {"Message-ID": interaction.message_id}
    if interaction.in_reply_to:
        headers["In-Reply-To"] = interaction.in_reply_to
        headers["References"] = interaction.references
    reply_to = _reply_to(interaction, sender)
    message = EmailMultiAlternatives(
        subject=interaction.subject,
        body=html_to_text(interaction.body),
        from_email=formataddr((name, interaction.from_address or settings.DEFAULT_FROM_EMAIL)),
        to=interaction.to_addresses,
        cc=interaction.cc_addresses,
        headers=headers,
        reply_to=reply_to,
    )
    message.attach_alternative(_html(interaction), "text/html")
    for item in interaction.attachments.all():
        with item.file.open("rb") as handle:
            message.attach(item.filename, handle.read(), item.content_type or None)
    return message


def _html(interaction: Interaction) -> str:
    """The HTML part: the stored body, tracked when the e-mail has a tracking row (its links
    are saved on the first attempt, so a retry sends the same URLs)."""
    row = EmailTracking.objects.filter(interaction_id=interaction.pk).first()
    if row is None:
        return interaction.body
    html, links = tracking.tracked_html(interaction.body, interaction.pk, row.links)
    if links != row.links:
        EmailTracking.objects.filter(pk=row.pk).update(links=links)
    return html


def _reply_to(interaction: Interaction, sender: User | None) -> list[str] | None:
    """Where the customer's answer should go: for a case, a support mailbox (so the answer
    comes back into the case); otherwise the sender's own address."""
    if interaction.case_id:
        usernames = Mailbox.objects.filter(
            purpose=MailboxPurpose.SUPPORT, is_active=True
        ).values_list("username", flat=True)
        address = next((clean_address(name) for name in usernames if clean_address(name)), "")
        return [address] if address else None
    return [sender.email] if sender is not None and sender.email else None


def email_deliver(*, interaction_id: int, final: bool = True) -> str:
    """Send one queued e-mail; returns the new status. A failure is recorded on the interaction
    (`delivery_error`); it becomes `failed` when `final` (no retry left), else stays queued
    and the error is raised again for the job to retry."""
    interaction = Interaction.objects.select_related("owner").filter(pk=interaction_id).first()
    if interaction is None or interaction.delivery_status != DeliveryStatus.QUEUED:
        return interaction.delivery_status if interaction else ""
    try:
        connection = get_connection(fail_silently=False)
        connection.send_messages([_build(interaction)])
    except (smtplib.SMTPException, OSError) as exc:
        error = _describe(exc)
        status = DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED
        _set_status(interaction, status, error)
        if not final:
            raise
        return status
    _set_status(interaction, DeliveryStatus.SENT, "")
    return DeliveryStatus.SENT


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return f"{type(exc).__name__}: {exc}"


def _set_status(interaction: Interaction, status: str, error: str) -> None:
    current = Interaction.objects.get(pk=interaction.pk)
    data: dict[str, Any] = {"delivery_status": status, "delivery_error": error[:5000]}
    if status == DeliveryStatus.SENT:
        data["occurred_at"] = timezone.now()
    interaction_update(
        actor=system_actor(), interaction=current, data=data, version=current.version
    )
