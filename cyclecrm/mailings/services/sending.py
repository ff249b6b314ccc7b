"""Sending a mailing's recipients in batches, at most once each (ADR 0013).

One worker at a time holds a mailing's lease (`lease_until`, taken with a conditional UPDATE,
renewed while it works, expiring on its own when the worker dies). For each recipient it:
1. claims the row: `pending` -> `sending` with its Message-ID, committed on its own;
2. hands the message to the SMTP server;
3. marks the row `sent` (or `failed` with the server's reason).

A crash between 1 and 3 leaves the row in `sending`: whether the server took the message is
unknown. The next batch (a new lease holder, so nobody is still working on it) marks such rows
`failed` with `INTERRUPTED` instead of sending them again: a recipient may miss the message
but never gets it twice. Pending rows simply continue."""

import datetime as dt
import smtplib
import uuid
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import CrmError, ValidationFailed
from cyclecrm.core.signals import rows_changed_send
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations.services.outbound import _describe
from cyclecrm.mailings import rendering, tokens
from cyclecrm.mailings.models import Mailing, MailingRecipient, MailingStatus, RecipientState
from cyclecrm.mailings.services import abtest, campaign_link
from cyclecrm.mailings.services.mailings import set_status

INTERRUPTED = "Interrupted while sending; delivery unknown, not sent again."
LEASE = dt.timedelta(minutes=5)
RENEW_EVERY = 20
MAX_BATCH = 1000
STALLED = dt.timedelta(minutes=5)


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    interrupted: int = 0
    remaining: int = 0
    locked: bool = False


def enqueue_send(mailing_id: int, *, delay: int = 0) -> None:
    """Run a batch in the worker after the current transaction commits."""
    from cyclecrm.mailings.tasks import send_mailing

    def enqueue() -> None:
        if delay:
            send_mailing.schedule((mailing_id,), delay=delay)
        else:
            send_mailing(mailing_id)

    transaction.on_commit(enqueue)


def _take_lease(mailing_id: int, holder: str) -> bool:
    """Free, expired, or already `holder`'s: the same send job resumed after its worker was
    killed (nobody else can be working under that id; recovery.py resumes only dead workers')."""
    now = timezone.now()
    return bool(
        Mailing.objects.filter(pk=mailing_id, status=MailingStatus.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_holder=holder))
        .update(lease_until=now + LEASE, lease_holder=holder)
    )


def _renew_lease(mailing_id: int) -> None:
    Mailing.objects.filter(pk=mailing_id).update(lease_until=timezone.now() + LEASE)


def _release_lease(mailing_id: int) -> None:
    Mailing.objects.filter(pk=mailing_id).update(
        lease_until=None, lease_holder="", batch_at=timezone.now()
    )


def _recover_interrupted(mailing: Mailing) -> int:
    return MailingRecipient.objects.filter(mailing=mailing, state=RecipientState.SENDING).update(
        state=RecipientState.FAILED, reason=INTERRUPTED
    )


def _still_sending(mailing_id: int) -> bool:
    return Mailing.objects.filter(pk=mailing_id, status=MailingStatus.SENDING).exists()


def _claim(recipient_id: int, message_id: str) -> bool:
    """pending -> sending, committed at once (autocommit outside any transaction)."""
    return bool(
        MailingRecipient.objects.filter(pk=recipient_id, state=RecipientState.PENDING).update(
            state=RecipientState.SENDING, message_id=message_id, claimed_at=timezone.now()
        )
    )


def _finish(recipient_id: int, error: str) -> None:
    if error:
        data = {"state": RecipientState.FAILED, "reason": error[:300]}
    else:
        data = {"state": RecipientState.SENT, "sent_at": timezone.now()}
    MailingRecipient.objects.filter(pk=recipient_id, state=RecipientState.SENDING).update(**data)
    rows_changed_send(MailingRecipient)


def _send_one(
    mailing: Mailing, recipient: MailingRecipient, links: rendering.LinkBook, connection: Any
) -> str:
    """Send to one claimed recipient (`mailing` is already the view of the recipient's A/B
    variant); returns the error, or "" when the server took it."""
    try:
        rendered = rendering.render(mailing, recipient.contact, token=recipient.token, links=links)
        message = rendering.build_message(
            mailing,
            rendered,
            to=recipient.email,
            message_id=recipient.message_id,
            envelope_from=tokens.bounce_address(recipient.token),
        )
        message.connection = connection
        connection.send_messages([message])
    except CrmError as exc:
        return f"Could not render: {exc.fields or exc.message}"
    except (smtplib.SMTPException, OSError) as exc:
        return _describe(exc)
    return ""


def mailing_send_batch(
    *,
    mailing_id: int,
    limit: int | None = None,
    backend: str | None = None,
    holder: str = "",
) -> BatchResult:
    """Send up to `limit` (default: the mailing's rate per minute) pending recipients.
    `backend`: another e-mail backend than the configured one (the demo discards its mail).
    `holder`: who takes the lease, the send job's task id (a fresh one when not given)."""
    result = BatchResult()
    if not _take_lease(mailing_id, holder or uuid.uuid4().hex):
        result.locked = True
        return result
    try:
        mailing = Mailing.objects.select_related("owner", "template", "campaign").get(pk=mailing_id)
        result.interrupted = _recover_interrupted(mailing)
        batch = min(limit or mailing.rate_per_minute, MAX_BATCH)
        _send_pending(mailing, batch, result, get_connection(backend, fail_silently=False))
        result.remaining = mailing.recipients.filter(state=RecipientState.PENDING).count()
        if not result.remaining and _still_sending(mailing_id):
            _mark_sent(mailing)
    finally:
        _release_lease(mailing_id)
    return result


def _send_pending(mailing: Mailing, limit: int, result: BatchResult, connection: Any) -> None:
    pending = mailing.recipients.filter(state=RecipientState.PENDING).order_by("id")
    ids = list(pending.values_list("id", flat=True)[:limit])
    if not ids:
        return
    domain = tokens.bounce_domain()
    links = rendering.LinkBook(mailing)
    variants = {variant.label: variant for variant in mailing.variants.all()}
    sent_contacts: list[int] = []
    connection.open()
    try:
        for position, recipient_id in enumerate(ids, start=1):
            if not _still_sending(mailing.pk):
                return  # paused or cancelled meanwhile
            if position % RENEW_EVERY == 0:
                _renew_lease(mailing.pk)
            if not _claim(recipient_id, make_msgid(domain=domain)):
                continue
            recipient = MailingRecipient.objects.select_related("contact__account").get(
                pk=recipient_id
            )
            view = abtest.variant_view(mailing, variants.get(recipient.variant or ""))
            error = _send_one(view, recipient, links, connection)
            _finish(recipient_id, error)
            if error:
                result.failed += 1
            else:
                result.sent += 1
                sent_contacts.append(recipient.contact_id)
    finally:
        connection.close()
        campaign_link.members_sent(mailing, sent_contacts)


def _mark_sent(mailing: Mailing) -> None:
    mailing.refresh_from_db()
    set_status(system_actor(), mailing, MailingStatus.SENT)
    Mailing.objects.filter(pk=mailing.pk).update(finished_at=timezone.now())
    abtest.test_groups_sent(mailing)
    campaign_link.all_sent_members(mailing)


def mailings_restart_stalled(*, now: dt.datetime | None = None) -> list[int]:
    """Mailings still `sending` whose worker went silent (no batch for `STALLED`, no live
    lease): their next batch was lost with a crashed consumer. Enqueue one for each; the batch
    marks the interrupted row failed and continues. Returns their ids."""
    now = now or timezone.now()
    stalled = (
        Mailing.objects.filter(status=MailingStatus.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(
            Q(batch_at__isnull=True, started_at__lt=now - STALLED) | Q(batch_at__lt=now - STALLED)
        )
    )
    ids = list(stalled.values_list("id", flat=True))
    for mailing_id in ids:
        enqueue_send(mailing_id)
    return ids


def mailing_test_send(*, actor: User, mailing: Mailing, to: str, contact: Contact) -> None:
    """Send the mailing as `contact` would get it to `to`, without tracking and without any
    recipient row (the unsubscribe link points nowhere)."""
    rendered = rendering.render(mailing, contact, token=None, links=None)
    rendered.subject = f"[Test] {rendered.subject}"
    message = rendering.build_message(
        mailing, rendered, to=to, message_id=make_msgid(domain=tokens.bounce_domain())
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise ValidationFailed(fields={"to": [f"Not sent: {_describe(exc)}"]}) from exc
