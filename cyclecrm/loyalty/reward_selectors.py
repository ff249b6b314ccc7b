"""Reads for rewards, redemptions and members, already scoped to what the reader may see.

Rewards are program configuration: visible with their program (`loyalty_program` read right).
Members, their ledger and their redemptions belong to the contact: visible to whoever may read
the contact (`loyalty.access`)."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty.access import require_program, restrict_to_contacts
from cyclecrm.loyalty.models import LoyaltyProgram, Member, PointsEntry, Redemption, Reward


def _id(pk: Any) -> int | None:
    text = str(pk)
    return int(text) if text.isdigit() and len(text) < 19 else None


def program_list(*, actor: Any, action: str = Action.READ) -> QuerySet[LoyaltyProgram]:
    return access.restrict(LoyaltyProgram.objects.all(), actor, action)


def program_get(*, actor: Any, pk: Any, action: str = Action.READ) -> LoyaltyProgram:
    program = None
    if _id(pk) is not None:
        program = program_list(actor=actor).filter(pk=_id(pk)).first()
    if program is None:
        raise NotFound("No loyalty program with this id.")
    if action != Action.READ:
        require_program(actor, action, program)
    return program


def reward_list(
    *,
    actor: Any,
    program_id: int | None = None,
    available: bool | None = None,
) -> QuerySet[Reward]:
    """Rewards of the programs the actor may read; `available` keeps those redeemable today
    (active, within their dates, in stock) or, when False, those that are not."""
    rewards = Reward.objects.filter(program__in=program_list(actor=actor).values("pk"))
    if program_id is not None:
        rewards = rewards.filter(program_id=program_id)
    if available is not None:
        condition = available_q()
        rewards = rewards.filter(condition) if available else rewards.exclude(condition)
    return rewards.select_related("program")


def available_q() -> Q:
    today = timezone.localdate()
    return (
        Q(is_active=True, program__is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        & (Q(stock__isnull=True) | Q(stock__gt=0))
    )


def reward_get(*, actor: Any, pk: Any) -> Reward:
    reward = None
    if _id(pk) is not None:
        reward = reward_list(actor=actor).filter(pk=_id(pk)).first()
    if reward is None:
        raise NotFound("No reward with this id.")
    return reward


def member_list(*, actor: Any) -> QuerySet[Member]:
    return restrict_to_contacts(Member.objects.all(), actor).select_related(
        "program", "contact", "tier"
    )


def member_get(*, actor: Any, pk: Any) -> Member:
    member = None
    if _id(pk) is not None:
        member = member_list(actor=actor).filter(pk=_id(pk)).first()
    if member is None:
        raise NotFound("No loyalty member with this id.")
    return member


def contact_memberships(*, actor: Any, contact: Any) -> list[Member]:
    """The contact's memberships (empty when the actor may not read the contact)."""
    if not access.can(actor, Action.READ, contact):
        return []
    return list(
        Member.objects.filter(contact=contact)
        .select_related("program", "tier", "contact")
        .order_by("program__name", "program_id")
    )


def redemption_list(
    *,
    actor: Any,
    status: str | None = None,
    program_id: int | None = None,
    member_id: int | None = None,
) -> QuerySet[Redemption]:
    redemptions = restrict_to_contacts(Redemption.objects.all(), actor, "member__contact")
    if status:
        redemptions = redemptions.filter(status=status)
    if program_id is not None:
        redemptions = redemptions.filter(member__program_id=program_id)
    if member_id is not None:
        redemptions = redemptions.filter(member_id=member_id)
    return redemptions.select_related("reward", "member__program", "member__contact", "actor")


def redemption_get(*, actor: Any, pk: Any) -> Redemption:
    redemption = None
    if _id(pk) is not None:
        redemption = redemption_list(actor=actor).filter(pk=_id(pk)).first()
    if redemption is None:
        raise NotFound("No redemption with this id.")
    return redemption


def entry_list(*, member: Member) -> QuerySet[PointsEntry]:
    """A member's ledger, newest first (the caller has checked the member is visible)."""
    return PointsEntry.objects.filter(member=member).select_related(
        "redemption__reward", "created_by"
    )
