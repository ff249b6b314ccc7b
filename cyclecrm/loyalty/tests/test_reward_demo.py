import io
import time

import pytest
from django.core.management import call_command

import cyclecrm.core.demo as demo
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.rewards import build_rewards
from cyclecrm.loyalty.ledger import balance_from_ledger
from cyclecrm.loyalty.models import LoyaltyProgram, Member, Redemption

pytestmark = pytest.mark.django_db


def test_demo_builds_a_catalog_and_redemptions_in_every_state() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "6", stdout=io.StringIO(), stderr=io.StringIO()
    )

    program = LoyaltyProgram.objects.get(name="Cycle Rewards")
    assert program.rewards.count() >= 5
    states = set(Redemption.objects.values_list("status", flat=True))
    assert states == {"reserved", "confirmed", "cancelled"}
    for member in Member.objects.filter(program=program):
        assert member.balance == balance_from_ledger(member)


def test_the_rewards_step_is_fast(monkeypatch) -> None:
    timings: dict[str, float] = {}

    def timed(context: DemoContext) -> None:
        start = time.perf_counter()
        build_rewards(context)
        timings["rewards"] = time.perf_counter() - start

    steps = [(name, timed if name == "rewards" else step) for name, step in demo.STEPS]
    monkeypatch.setattr(demo, "STEPS", steps)

    demo.demo_build(demo.DemoOptions(contacts=200, accounts=20), log=lambda text: None)

    assert 0 < timings["rewards"] < 2
