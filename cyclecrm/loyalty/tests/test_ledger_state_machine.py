"""Stateful property of the points ledger: any interleaving of earning (by hand and by paid
orders), redeeming, adjusting, expiring, reversing an order and re-evaluating the tier keeps

- the stored balance equal to the sum of the ledger and to a model kept by the test, never
  below zero, and each entry's `balance_after` equal to the running sum;
- a refused redemption or debit without any trace (same balance, same entries);
- expiry and order reversals never taking more than the balance, and idempotent;
- the tier the highest one whose threshold the points earned in the window reach.

Runs through the services (members.py, spend.py, expiry.py, tier_job.py) on SQLite and
PostgreSQL; the budget (examples x steps) keeps it well under half a minute."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.expiry import member_expire, points_to_expire
from cyclecrm.loyalty.ledger import InsufficientPoints, entry_post
from cyclecrm.loyalty.members import member_adjust, member_redeem_points
from cyclecrm.loyalty.models import EntryKind, Member, Tier
from cyclecrm.loyalty.spend import order_earn, order_reverse
from cyclecrm.loyalty.tests.earning_factories import (
    enrol,
    make_program,
    make_rule,
    move,
    place_order,
    priced_product,
)
from cyclecrm.loyalty.tier_job import member_tier_evaluate

THRESHOLDS = {"Silver": 100, "Gold": 400, "Platinum": 1000}
points = st.integers(1, 400)


class LedgerMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self, actor) -> None:
        super().__init__()
        self.actor = actor
        self.clock = timezone.now()

    @initialize()
    def open_membership(self) -> None:
        program = make_program(name=f"Club {id(self)}-{timezone.now().timestamp()}")
        make_rule(program, points_per_unit=Decimal(1), name="Spend x1")
        self.tiers = [
            Tier.objects.create(program=program, name=name, rank=rank, threshold=threshold)
            for rank, (name, threshold) in enumerate(THRESHOLDS.items(), start=1)
        ]
        self.member = enrol(program, make_contact(owner=self.actor))
        self.product = priced_product("1.00")
        self.balance = 0  # the model: what the balance must be
        self.earned = 0  # points earned (tier measure: every entry is inside the window)
        self.earned_by_order: dict[int, int] = {}
        self.expired_days: set[dt.date] = set()

    # -- operations -----------------------------------------------------------------------------

    @rule(amount=points, days=st.none() | st.integers(0, 60))
    def earn(self, amount: int, days: int | None) -> None:
        expires = None if days is None else self.clock + dt.timedelta(days=days)
        entry_post(
            member=self.member, kind=EntryKind.EARN, points=amount, reason="e", expires_at=expires
        )
        self.balance += amount
        self.earned += amount

    @rule(target=orders, quantity=st.integers(1, 300))
    def earn_by_paid_order(self, quantity: int):
        order = place_order(self.actor, self.member.contact, [(self.product, quantity)])
        order = move(self.actor, order, "paid")
        posted = order_earn(order=order) + order_earn(order=order)  # events may come twice
        assert sum(entry.points for entry in posted) == quantity
        self.balance += quantity
        self.earned += quantity
        self.earned_by_order[order.pk] = quantity
        return order

    @rule(amount=points)
    def redeem(self, amount: int) -> None:
        self._debit(
            lambda: member_redeem_points(actor=self.actor, member=self.member, points=amount),
            amount,
        )

    @rule(amount=points, credit=st.booleans())
    def adjust(self, amount: int, credit: bool) -> None:
        signed = amount if credit else -amount
        self._debit(
            lambda: member_adjust(actor=self.actor, member=self.member, points=signed, reason="a"),
            -signed,
        )

    @rule(days=st.integers(0, 40))
    def expire(self, days: int) -> None:
        self.clock += dt.timedelta(days=days)
        first_run_that_day = self.clock.date() not in self.expired_days
        self.expired_days.add(self.clock.date())
        before = self.balance
        entry = member_expire(member=self.member, at=self.clock)
        taken = 0 if entry is None else -entry.points
        assert 0 <= taken <= before
        self.balance -= taken
        assert member_expire(member=self.member, at=self.clock) is None  # once per cutoff
        if first_run_that_day:  # later runs that day are blocked by the day's source key
            assert points_to_expire(self._stored(), self.clock) == 0 or self.balance == 0

    @rule(order=consumes(orders))
    def reverse_order(self, order) -> None:
        order.refresh_from_db()
        move(self.actor, order, "refunded")
        posted = order_reverse(order=order)
        taken = min(self.earned_by_order[order.pk], self.balance)
        assert sum(entry.points for entry in posted) == -taken
        assert order_reverse(order=order) == []  # posted once
        self.balance -= taken

    @rule()
    def evaluate_tier(self) -> None:
        member = self._stored()
        member_tier_evaluate(member=member, tiers=self.tiers, at=timezone.now())
        reached = [name for name, threshold in THRESHOLDS.items() if self.earned >= threshold]
        expected = reached[-1] if reached else None
        assert (self._stored().tier.name if self._stored().tier else None) == expected

    def _debit(self, post, amount: int) -> None:
        """Post a change of `-amount` points; when it would go below zero it must be refused
        and leave no trace."""
        entries_before = self.member.entries.count()
        try:
            post()
        except InsufficientPoints:
            assert amount > self.balance
            assert self._stored().balance == self.balance
            assert self.member.entries.count() == entries_before
            return
        assert amount <= self.balance
        self.balance -= amount

    def _stored(self) -> Member:
        return Member.objects.select_related("tier", "program").get(pk=self.member.pk)

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def balance_is_the_ledger_sum(self) -> None:
        if not hasattr(self, "member"):
            return
        running = 0
        for change, after in self.member.entries.order_by("id").values_list(
            "points", "balance_after"
        ):
            running += change
            assert after == running >= 0
        assert self._stored().balance == running == self.balance >= 0


@pytest.mark.django_db
def test_ledger_operations_keep_balance_ledger_and_tier_consistent(admin):
    run_state_machine_as_test(
        lambda: LedgerMachine(admin),
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
