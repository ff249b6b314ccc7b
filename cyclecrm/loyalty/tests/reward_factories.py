"""Builders for the rewards, statement and figures tests (parts of loyalty share no conftest)."""

from decimal import Decimal
from typing import Any

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EntryKind, LoyaltyProgram, Member, Reward, Tier


def make_program(owner: Any = None, **fields: Any) -> LoyaltyProgram:
    fields.setdefault("name", "Club")
    fields.setdefault("currency", "USD")
    return LoyaltyProgram.objects.create(owner=owner, created_by=owner, **fields)


def make_tiers(program: LoyaltyProgram) -> list[Tier]:
    return [
        Tier.objects.create(program=program, name=name, rank=rank, threshold=Decimal(threshold))
        for rank, (name, threshold) in enumerate(
            [("Silver", 0), ("Gold", 500), ("Platinum", 2000)], start=1
        )
    ]


def make_member(
    program: LoyaltyProgram, owner: Any = None, points: int = 0, **contact: Any
) -> Member:
    member = member_enroll(program=program, contact=make_contact(owner=owner, **contact))
    if points:
        entry_post(member=member, kind=EntryKind.EARN, points=points, reason="Welcome")
    return member


def make_reward(program: LoyaltyProgram, **fields: Any) -> Reward:
    fields.setdefault("name", "Mug")
    fields.setdefault("points_cost", 100)
    return Reward.objects.create(program=program, **fields)
