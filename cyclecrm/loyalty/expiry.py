"""Expiring points: earned points past their `expires_at` that were not spent.

Which points were spent is decided first in, first out: the member's credits (earn, refund and
positive adjust entries) are lots in the order they were posted, and each debit (redeem and
negative adjust) consumes the oldest lots that had not expired at the debit's time, falling back
to expired ones only when nothing else is left. An `expire` entry consumes the lots that had
expired at its cutoff, kept in its own `expires_at` (the moment the job expired up to).
Whatever remains of a lot whose `expires_at` has passed is expired.

One run posts at most one `expire` entry per member, with the source key `expire:<date>`; a
second run finds nothing left to expire (the earlier entry consumed those lots) and the key
blocks a second entry the same day anyway. Only members with a positive balance and a lot past
its expiry are examined."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EntryKind, Member, PointsEntry


@dataclass
class Lot:
    created_at: dt.datetime
    expires_at: dt.datetime | None
    remaining: int

    def expired_at(self, at: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= at


def _consume(lots: list[Lot], points: int, candidates: list[Lot]) -> int:
    """Take `points` from `candidates` oldest first; returns what could not be taken."""
    for lot in candidates:
        if points <= 0:
            break
        taken = min(lot.remaining, points)
        lot.remaining -= taken
        points -= taken
    return points


def open_lots(entries: list[PointsEntry]) -> list[Lot]:
    """The member's credit lots with what is left of each after every debit (FIFO)."""
    lots: list[Lot] = []
    for entry in entries:
        if entry.points > 0:
            lots.append(Lot(entry.created_at, entry.expires_at, entry.points))
            continue
        at, debit = entry.created_at, -entry.points
        if entry.kind == EntryKind.EXPIRE:
            cutoff = entry.expires_at or at
            _consume(lots, debit, [lot for lot in lots if lot.expired_at(cutoff)])
            continue
        left = _consume(lots, debit, [lot for lot in lots if not lot.expired_at(at)])
        _consume(lots, left, lots)
    return [lot for lot in lots if lot.remaining > 0]


def points_to_expire(member: Member, at: dt.datetime) -> int:
    entries = list(member.entries.order_by("created_at", "id"))
    return sum(lot.remaining for lot in open_lots(entries) if lot.expired_at(at))


def member_expire(*, member: Member, at: dt.datetime | None = None) -> PointsEntry | None:
    at = at or timezone.now()
    points = points_to_expire(member, at)
    if points <= 0:
        return None
    return entry_post(
        member=member,
        kind=EntryKind.EXPIRE,
        points=-points,
        reason=f"{points} points reached their expiry date unspent",
        source_key=f"expire:{at.date().isoformat()}",
        expires_at=at,
        clamp_to_balance=True,
    )


def points_expire(at: dt.datetime | None = None) -> dict[str, int]:
    """The job: expire what is due for every member; returns members touched and points."""
    at = at or timezone.now()
    due = PointsEntry.objects.filter(points__gt=0, expires_at__lte=at).values("member_id")
    members = Member.objects.filter(balance__gt=0, pk__in=due).order_by("id")
    touched = points = 0
    for member in members.iterator(chunk_size=500):
        entry = member_expire(member=member, at=at)
        if entry is not None:
            touched += 1
            points -= entry.points
    return {"members": touched, "points": points}
