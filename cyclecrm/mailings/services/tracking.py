"""What recipients do with a mailing: opens, clicks, unsubscribes, and bounces reported back.

- Every open and click is a `MailingEvent`; the recipient row keeps the counts and the first
  times, which make the unique rates (a conditional UPDATE sets a first time only once, so two
  concurrent opens count once).
- The first open and the first click of each recipient are logged as interactions on the
  contact's timeline (later ones only as events: a mail client reloading images must not flood
  the timeline); through `interaction_log`, so the contact's engagement fields follow (ADR 0009).
- A click implies an open (images are often blocked).
- An unsubscribe withdraws e-mail consent through `contact_update` (history row, source
  `unsubscribe: <mailing>`), idempotently.
- A bounce marks the recipient `bounced`; a hard bounce suppresses the contact in later
  mailings."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cyclecrm.activities.interactions import interaction_log
from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.services import contact_update
from cyclecrm.core.errors import ValidationFailed, VersionConflict
from cyclecrm.core.events import Event, emit
from cyclecrm.core.signals import rows_changed_send
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.mailings import tokens
from cyclecrm.mailings.models import (
    BounceKind,
    EventKind,
    MailingEvent,
    MailingLink,
    MailingRecipient,
    RecipientState,
)
from cyclecrm.mailings.services import campaign_link
from cyclecrm.mailings.services.audience import UNSUBSCRIBE_SOURCE

TRACKED_STATES = (RecipientState.SENT, RecipientState.BOUNCED, RecipientState.FAILED)


def _recipient(token: str | None) -> MailingRecipient | None:
    if not token:
        return None
    return (
        MailingRecipient.objects.select_related("mailing", "contact")
        .filter(token=token, state__in=TRACKED_STATES)
        .first()
    )


def _log_interaction(recipient: MailingRecipient, verb: str, detail: str = "") -> Interaction:
    mailing = recipient.mailing
    body = f"{verb} the e-mail campaign “{mailing.name}”." + (f" {detail}" if detail else "")
    return interaction_log(
        actor=system_actor(),
        data={
            "channel": Channel.EMAIL,
            "direction": Direction.INBOUND,
            "subject": f"{verb}: {mailing.name}"[:300],
            "body": body,
            "contact": recipient.contact_id,
            # The mailing's owner owns what it brought in (else the contact's owner).
            "owner_id": mailing.owner_id or recipient.contact.owner_id,
        },
    )


def _first(recipient: MailingRecipient, field: str, counter: str) -> bool:
    """Count one more and set the first time if unset; True when this was the first."""
    now = timezone.now()
    rows = MailingRecipient.objects.filter(pk=recipient.pk)
    rows.update(**{counter: F(counter) + 1})
    first = bool(rows.filter(**{f"{field}__isnull": True}).update(**{field: now}))
    rows_changed_send(MailingRecipient)
    return first


def _emit(name: str, recipient: MailingRecipient, **data: Any) -> None:
    emit(
        Event(
            name,
            "mailing",
            recipient.mailing_id,
            None,
            {"contact_id": recipient.contact_id, "recipient_id": recipient.pk, **data},
        )
    )


def _record_open(recipient: MailingRecipient) -> None:
    MailingEvent.objects.create(
        mailing_id=recipient.mailing_id, recipient=recipient, kind=EventKind.OPEN
    )
    if _first(recipient, "first_opened_at", "open_count"):
        note = _log_interaction(recipient, "Opened")
        MailingRecipient.objects.filter(pk=recipient.pk).update(open_note=note)
        _emit("mailing.opened", recipient)


def track_open(*, signed: str) -> bool:
    """An open pixel was loaded; False when the token is not ours (the view answers 404)."""
    recipient = _recipient(tokens.unsign("open", signed))
    if recipient is None:
        return False
    with transaction.atomic():
        _record_open(recipient)
    return True


def track_click(*, signed: str) -> str | None:
    """A tracked link was followed: the URL to redirect to, or None for a bad token."""
    parsed = tokens.parse_click(signed)
    recipient = _recipient(parsed[0]) if parsed else None
    if recipient is None or parsed is None:
        return None
    link = MailingLink.objects.filter(pk=parsed[1], mailing_id=recipient.mailing_id).first()
    if link is None:
        return None
    with transaction.atomic():
        if recipient.first_opened_at is None:
            _record_open(recipient)
        MailingEvent.objects.create(
            mailing_id=recipient.mailing_id, recipient=recipient, kind=EventKind.CLICK, link=link
        )
        if _first(recipient, "first_clicked_at", "click_count"):
            note = _log_interaction(recipient, "Clicked", f"Link: {link.url}")
            MailingRecipient.objects.filter(pk=recipient.pk).update(click_note=note)
            _emit("mailing.clicked", recipient, url=link.url)
        campaign_link.clicked(recipient)
    return link.url


def recipient_for_unsubscribe(*, signed: str) -> MailingRecipient | None:
    return _recipient(tokens.unsign("unsubscribe", signed))


def recipient_unsubscribe(*, recipient: MailingRecipient, how: str = "link") -> None:
    """Withdraw the contact's e-mail consent (idempotent); `how`: link, one-click or mail."""
    with transaction.atomic():
        first = bool(
            MailingRecipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
                unsubscribed_at=timezone.now()
            )
        )
        rows_changed_send(MailingRecipient)
        if not first:
            return
        MailingEvent.objects.create(
            mailing_id=recipient.mailing_id,
            recipient=recipient,
            kind=EventKind.UNSUBSCRIBE,
            detail=how,
        )
        _withdraw_consent(recipient.contact_id, recipient.mailing.name)
        _emit("mailing.unsubscribed", recipient)


def _withdraw_consent(contact_id: int, mailing_name: str) -> None:
    source = f"{UNSUBSCRIBE_SOURCE}: {mailing_name}"[:100]
    for _attempt in range(3):
        contact = Contact.objects.get(pk=contact_id)
        data = {"consent_email": False, "consent_email_source": source}
        try:
            contact_update(
                actor=system_actor(), contact=contact, data=data, version=contact.version
            )
            return
        except VersionConflict:
            continue  # edited at this very moment: read again


def recipient_find(
    *, message_id: str = "", email: str = "", token: str = ""
) -> MailingRecipient | None:
    """The recipient a bounce is about: by VERP token, else Message-ID, else the latest
    message sent to the address."""
    sent = MailingRecipient.objects.select_related("mailing").filter(state__in=TRACKED_STATES)
    if token:
        return sent.filter(token=token).first()
    if message_id:
        return sent.filter(message_id=message_id.strip()).first()
    if email:
        return sent.filter(email=email.strip().lower()).order_by("-sent_at", "-id").first()
    return None


def bounce_record(*, recipient: MailingRecipient, kind: str, detail: str = "") -> bool:
    """Mark the recipient bounced; False when it already was with the same kind."""
    if kind not in BounceKind.values:
        raise ValidationFailed(fields={"kind": [f"Use one of {', '.join(BounceKind.values)}."]})
    if recipient.state == RecipientState.BOUNCED and recipient.bounce_kind in (kind, "hard"):
        return False
    with transaction.atomic():
        MailingRecipient.objects.filter(pk=recipient.pk).update(
            state=RecipientState.BOUNCED, bounced_at=timezone.now(), bounce_kind=kind
        )
        rows_changed_send(MailingRecipient)
        MailingEvent.objects.create(
            mailing_id=recipient.mailing_id,
            recipient=recipient,
            kind=EventKind.BOUNCE,
            detail=f"{kind}: {detail}"[:300],
        )
        _emit("mailing.bounced", recipient, kind=kind)
    return True


def bounce_report(
    *, actor: User, message_id: str = "", email: str = "", kind: str = "hard", detail: str = ""
) -> MailingRecipient:
    """A bounce reported through the API (by Message-ID or address)."""
    from cyclecrm.mailings.selectors import mailing_list

    if not message_id and not email:
        raise ValidationFailed(fields={"message_id": ["Give the Message-ID or the address."]})
    recipient = recipient_find(message_id=message_id, email=email)
    visible = (
        recipient is not None
        and mailing_list(actor=actor, action="edit").filter(pk=recipient.mailing_id).exists()
    )
    if recipient is None or not visible:
        field = "message_id" if message_id else "email"
        raise ValidationFailed(fields={field: ["No message of a mailing you may edit matches."]})
    bounce_record(recipient=recipient, kind=kind, detail=detail)
    recipient.refresh_from_db()
    return recipient
