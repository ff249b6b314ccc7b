import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.earning import points_for_action
from cyclecrm.loyalty.ledger import InsufficientPoints, balance_from_ledger, entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import (
    EarningAction,
    EarningRule,
    EntryKind,
    LedgerImmutable,
    LoyaltyProgram,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(admin):
    program = LoyaltyProgram.objects.create(name="Club", currency="USD")
    return member_enroll(program=program, contact=make_contact(owner=admin))


def test_balance_follows_the_ledger_and_never_goes_negative(member, admin):
    entry_post(member=member, kind=EntryKind.EARN, points=100, reason="welcome", actor=admin)
    entry_post(member=member, kind=EntryKind.REDEEM, points=-60, reason="mug", actor=admin)
    with pytest.raises(InsufficientPoints) as refused:
        entry_post(member=member, kind=EntryKind.REDEEM, points=-41, reason="too much")
    assert "40 points" in refused.value.message
    member.refresh_from_db()
    assert member.balance == 40 == balance_from_ledger(member)
    assert list(member.entries.values_list("balance_after", flat=True)) == [40, 100]


def test_a_source_key_is_posted_once(member):
    first = entry_post(member=member, kind=EntryKind.EARN, points=5, reason="x", source_key="k")
    again = entry_post(member=member, kind=EntryKind.EARN, points=5, reason="x", source_key="k")
    assert first is not None and again is None
    member.refresh_from_db()
    assert member.balance == 5


def test_entries_are_never_edited_or_deleted(member):
    entry = entry_post(member=member, kind=EntryKind.EARN, points=5, reason="x")
    entry.points = 500
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()


@pytest.mark.parametrize(("kind", "points"), [("earn", -1), ("redeem", 3), ("adjust", 0)])
def test_signs_that_do_not_fit_the_kind_are_refused(member, kind, points):
    with pytest.raises(ValidationFailed) as refused:
        entry_post(member=member, kind=kind, points=points, reason="x")
    assert "points" in refused.value.fields


def test_action_points_respect_the_rule_cap_and_validity(member):
    program = member.program
    today = timezone.localdate()
    EarningRule.objects.create(
        program=program,
        name="Survey",
        action=EarningAction.SURVEY_ANSWERED,
        points=30,
        cap_points=50,
    )
    EarningRule.objects.create(
        program=program,
        name="Expired promo",
        action=EarningAction.SURVEY_ANSWERED,
        points=1000,
        valid_until=today - dt.timedelta(days=1),
    )
    for number in range(3):
        points_for_action(
            contact_id=member.contact_id,
            action=EarningAction.SURVEY_ANSWERED,
            source_key=f"survey:{number}",
            reason="Survey answered",
        )
    member.refresh_from_db()
    assert member.balance == 50
    assert [entry.points for entry in member.entries.order_by("id")] == [30, 20]


def test_erasing_the_contact_takes_the_membership_and_ledger_with_it(member):
    entry_post(member=member, kind=EntryKind.EARN, points=5, reason="x")
    member.contact.delete()
    assert not type(member).objects.filter(pk=member.pk).exists()
    assert not member.entries.model.objects.filter(member_id=member.pk).exists()
