"""The demo step builds the program with rules and tiers, enrols customers who earned for their
paid orders through the ledger, and places them in tiers."""

import io

import pytest
from django.core.management import call_command

from cyclecrm.loyalty.ledger import balance_from_ledger
from cyclecrm.loyalty.models import LoyaltyProgram

pytestmark = pytest.mark.django_db


def test_demo_builds_a_program_whose_members_earned_through_the_ledger() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )

    program = LoyaltyProgram.objects.get(name="Cycle Rewards")
    assert program.rules.count() == 7 and program.tiers.count() == 3
    members = list(program.members.all())
    assert members
    assert any(member.balance > 0 for member in members)
    for member in members:
        assert member.balance == balance_from_ledger(member)
    assert program.members.filter(tier__isnull=False).count() == sum(
        1 for member in members if member.tier_changes.exists()
    )
