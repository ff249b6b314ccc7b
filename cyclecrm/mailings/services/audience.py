"""Starting a send: the audience is snapshot into recipient rows in one transaction, with
suppression decided then and counted by reason.

Suppression, first reason wins: no e-mail address; do-not-contact; no e-mail consent, counted
as `unsubscribed` when the consent was withdrawn by an unsubscribe and `no_consent` otherwise;
a hard bounce in an earlier mailing; an address already taken by another contact of the
audience (`duplicate`). A suppressed contact still gets a row (state `suppressed`, the reason),
so the statistics can show who was left out and why."""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.identity.models import User
from cyclecrm.mailings.models import (
    AbState,
    BounceKind,
    Mailing,
    MailingRecipient,
    MailingStatus,
    RecipientState,
    SuppressionReason,
)
from cyclecrm.mailings.services import abtest
from cyclecrm.mailings.services.mailings import check_ready, require_status, set_status
from cyclecrm.mailings.tokens import new_token
from cyclecrm.segments import selectors as segment_selectors
from cyclecrm.segments.models import Segment

UNSUBSCRIBE_SOURCE = "unsubscribe"
BATCH_SIZE = 500
_CONTACT_VALUES = ("id", "email", "do_not_contact", "consent_email", "consent_email_source")


def _hard_bounced(contact_ids: Iterable[int]) -> set[int]:
    ids = list(contact_ids)
    found: set[int] = set()
    for start in range(0, len(ids), BATCH_SIZE):
        found.update(
            MailingRecipient.objects.filter(
                contact_id__in=ids[start : start + BATCH_SIZE], bounce_kind=BounceKind.HARD
            ).values_list("contact_id", flat=True)
        )
    return found


def suppression_reason(row: dict[str, Any], bounced: set[int], seen: set[str]) -> str:
    """Why this contact (a values() row) gets no message, or "" (see the module doc)."""
    email = (row["email"] or "").strip().lower()
    if not email:
        return SuppressionReason.NO_EMAIL
    if row["do_not_contact"]:
        return SuppressionReason.DO_NOT_CONTACT
    if not row["consent_email"]:
        if (row["consent_email_source"] or "").startswith(UNSUBSCRIBE_SOURCE):
            return SuppressionReason.UNSUBSCRIBED
        return SuppressionReason.NO_CONSENT
    if row["id"] in bounced:
        return SuppressionReason.BOUNCED
    if email in seen:
        return SuppressionReason.DUPLICATE
    seen.add(email)
    return ""


def audience_rows(*, actor: User, segment: Segment) -> list[dict[str, Any]]:
    """The segment's members as the actor may read them, oldest contact first."""
    members = segment_selectors.segment_members(actor=actor, segment=segment)
    return list(members.order_by("id").values(*_CONTACT_VALUES))


def recipients_snapshot(*, actor: User, mailing: Mailing) -> Counter[str]:
    """Create the recipient rows (inside the caller's transaction), split between the A/B
    variants when the mailing has them; returns the suppressed counts by reason."""
    rows = audience_rows(actor=actor, segment=mailing.segment)
    bounced = _hard_bounced(row["id"] for row in rows)
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    recipients = []
    for row in rows:
        reason = suppression_reason(row, bounced, seen)
        if reason:
            counts[reason] += 1
        recipients.append(
            MailingRecipient(
                mailing=mailing,
                contact_id=row["id"],
                email=(row["email"] or "").strip().lower()[:254],
                token=new_token(),
                state=RecipientState.SUPPRESSED if reason else RecipientState.PENDING,
                reason=reason,
            )
        )
    if abtest.split_recipients(mailing, recipients):
        Mailing.objects.filter(pk=mailing.pk).update(ab_state=AbState.TESTING)
    MailingRecipient.objects.bulk_create(recipients, batch_size=BATCH_SIZE)
    return counts


def mailing_start(*, actor: User, mailing: Mailing) -> Mailing:
    """Snapshot the audience and start sending through the worker (after commit). `actor`
    decides which contacts are in the audience: the contacts of the segment they may read."""
    from cyclecrm.mailings.services.sending import enqueue_send

    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        require_status(mailing, (MailingStatus.DRAFT, MailingStatus.SCHEDULED), "sent")
        check_ready(mailing)
        counts = recipients_snapshot(actor=actor, mailing=mailing)
        mailing = set_status(actor, mailing, MailingStatus.SENDING)
        Mailing.objects.filter(pk=mailing.pk).update(
            started_at=timezone.now(), suppressed=dict(sorted(counts.items()))
        )
        enqueue_send(mailing.pk)
    mailing.refresh_from_db()
    return mailing
