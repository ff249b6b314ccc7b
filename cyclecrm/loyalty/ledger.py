"""The points ledger: the only code that writes `PointsEntry` rows and `Member.balance`.

Every posting runs in a transaction that first locks the member row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite serializes writers with BEGIN IMMEDIATE), reads the balance, refuses an entry
that would take it below zero, inserts the entry with the balance after it, and stores that
balance on the member. Two concurrent redemptions therefore queue on the lock and the second sees
the first one's debit: points cannot be overspent. An entry with a `source_key` already posted for
the member is not posted again, which makes earnings idempotent (jobs may rerun)."""

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.loyalty.models import EntryKind, Member, PointsEntry

INSUFFICIENT = "insufficient_points"


class InsufficientPoints(ValidationFailed):
    """A debit larger than the balance: a 422 naming the balance in `fields["points"]`."""

    code = INSUFFICIENT
    default_message = "The member does not have enough points."


def insufficient_points(*, balance: int, needed: int) -> InsufficientPoints:
    """The one wording of "too few points", shared by the ledger and the redemption checks."""
    message = f"The balance is {balance} points; {needed} are needed."
    return InsufficientPoints(message, fields={"points": [message]})


def entry_post(
    *,
    member: Member,
    kind: str,
    points: int,
    reason: str,
    actor: Any = None,
    source_key: str = "",
    expires_at: dt.datetime | None = None,
    clamp_to_balance: bool = False,
    **links: Any,
) -> PointsEntry | None:
    """Post one entry; returns it, or None when `source_key` was already posted for the member.

    `links` are the optional `rule`, `order`, `redemption` and `referral` the entry came from.
    With `clamp_to_balance` a debit larger than the balance takes the whole balance instead
    (reversals and expiry: nothing is posted when the balance is already zero).
    Raises `InsufficientPoints` (422) when the balance would go below zero and
    `ValidationFailed` for a zero entry or a sign that does not fit the kind."""
    _check_sign(kind, points)
    if not reason.strip():
        raise ValidationFailed(fields={"reason": ["A ledger entry needs a reason."]})
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if source_key and locked.entries.filter(source_key=source_key).exists():
            return None
        if clamp_to_balance and points < 0:
            points = max(points, -locked.balance)
            if points == 0:
                return None
        balance = locked.balance + points
        if balance < 0:
            raise insufficient_points(balance=locked.balance, needed=-points)
        try:
            with transaction.atomic():
                entry = PointsEntry.objects.create(
                    member=locked,
                    kind=kind,
                    points=points,
                    reason=reason.strip()[:300],
                    source_key=source_key,
                    expires_at=expires_at,
                    balance_after=balance,
                    created_by=actor if getattr(actor, "pk", None) else None,
                    created_at=timezone.now(),
                    **links,
                )
        except IntegrityError:
            if source_key:
                return None
            raise
        Member.objects.filter(pk=locked.pk).update(balance=balance)
    member.balance = balance
    return entry


def _check_sign(kind: str, points: int) -> None:
    if points == 0:
        raise ValidationFailed(fields={"points": ["A ledger entry moves at least one point."]})
    positive = {EntryKind.EARN, EntryKind.REFUND}
    negative = {EntryKind.REDEEM, EntryKind.EXPIRE}
    if (kind in positive and points < 0) or (kind in negative and points > 0):
        raise ValidationFailed(
            fields={
                "points": [
                    f"A '{kind}' entry must be {'positive' if kind in positive else 'negative'}."
                ]
            }
        )
    if kind not in EntryKind.values:
        raise ValidationFailed(fields={"kind": [f"Unknown entry kind '{kind}'."]})


def balance_from_ledger(member: Member) -> int:
    """The balance recomputed from the entries (the check that `Member.balance` is derived)."""
    return member.entries.aggregate(total=Sum("points"))["total"] or 0
