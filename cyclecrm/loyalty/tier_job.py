"""Re-evaluating tiers: each member's measure over the program's rolling window decides the tier;
a `TierChange` row is written only when the tier actually changes, so a second run the same day
changes nothing. Members move down as well as up (the window rolls)."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.core.events import Event, emit
from cyclecrm.loyalty.models import LoyaltyProgram, Member, Tier, TierChange
from cyclecrm.loyalty.tiers import tier_for, tier_measure

TIER_CHANGED = "loyalty_member.tier_changed"


def member_tier_evaluate(
    *, member: Member, tiers: list[Tier], at: dt.datetime, actor: Any = None
) -> TierChange | None:
    """Place one member; returns the change, or None when the tier stays."""
    target = tier_for(tiers, tier_measure(member, at))
    target_id = target.pk if target else None
    if target_id == member.tier_id:
        return None
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.tier_id == target_id:
            return None
        change = TierChange.objects.create(
            member=locked,
            from_tier_id=locked.tier_id,
            to_tier=target,
            changed_at=at,
            reason=_reason(member, target),
            actor=actor if getattr(actor, "pk", None) else None,
        )
        Member.objects.filter(pk=locked.pk).update(tier=target, tier_since=at)
        data = {"member_id": member.pk, "from_tier_id": locked.tier_id, "to_tier_id": target_id}
        emit(Event(TIER_CHANGED, "contact", member.contact_id, getattr(actor, "pk", None), data))
    member.tier, member.tier_since = target, at
    return change


def _reason(member: Member, target: Tier | None) -> str:
    program = member.program
    basis = "points earned" if program.tier_basis == "points" else "spend"
    window = f"{basis} in the last {program.tier_window_days} days"
    return f"Re-evaluated on {window}: {target.name if target else 'no tier'}"


def tiers_evaluate(at: dt.datetime | None = None) -> dict[str, int]:
    """The job: every member of every active program; returns members seen and changed."""
    at = at or timezone.now()
    seen = changed = 0
    for program in LoyaltyProgram.objects.filter(is_active=True).order_by("id"):
        tiers = list(program.tiers.all())
        members = program.members.select_related("program").order_by("id")
        for member in members.iterator(chunk_size=500):
            seen += 1
            if member_tier_evaluate(member=member, tiers=tiers, at=at) is not None:
                changed += 1
    return {"members": seen, "changed": changed}
