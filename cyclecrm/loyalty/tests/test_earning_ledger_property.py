"""Property: any sequence of earn, redeem, expire and adjust keeps the balance equal to the
ledger's sum and never below zero (refused postings change nothing)."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.expiry import points_expire
from cyclecrm.loyalty.ledger import InsufficientPoints, balance_from_ledger, entry_post
from cyclecrm.loyalty.models import EntryKind
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program

pytestmark = pytest.mark.django_db

earn = st.tuples(st.just("earn"), st.integers(1, 500), st.integers(-5, 30))
redeem = st.tuples(st.just("redeem"), st.integers(1, 500), st.just(0))
adjust = st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool), st.just(0))
expire = st.tuples(st.just("expire"), st.integers(0, 40), st.just(0))
steps = st.lists(st.one_of(earn, redeem, adjust, expire), max_size=25)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_balance_is_always_the_ledger_sum_and_never_negative(admin, steps):
    member = enrol(make_program(name=f"P{id(steps)}"), make_contact(owner=admin))
    now = timezone.now()
    for kind, amount, days in steps:
        try:
            if kind == "earn":
                expires = now + dt.timedelta(days=days)
                entry_post(
                    member=member,
                    kind=EntryKind.EARN,
                    points=amount,
                    reason="e",
                    expires_at=expires,
                )
            elif kind == "redeem":
                entry_post(member=member, kind=EntryKind.REDEEM, points=-amount, reason="r")
            elif kind == "adjust":
                entry_post(member=member, kind=EntryKind.ADJUST, points=amount, reason="a")
            else:
                points_expire(at=now + dt.timedelta(days=amount))
        except InsufficientPoints:
            pass
        member.refresh_from_db()
        assert member.balance == balance_from_ledger(member) >= 0
