import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed
from cyclecrm.loyalty import rewards
from cyclecrm.loyalty.ledger import InsufficientPoints, balance_from_ledger
from cyclecrm.loyalty.models import EntryKind, RedemptionStatus, Reward
from cyclecrm.loyalty.tests.reward_factories import make_member, make_program, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(admin):
    return make_program(admin)


@pytest.fixture
def member(program, rep_a):
    return make_member(program, rep_a, points=250)


def test_catalog_validation_names_each_field(program, admin):
    with pytest.raises(ValidationFailed) as refused:
        rewards.reward_create(
            actor=admin,
            program=program,
            data={
                "name": " ",
                "points_cost": 0,
                "stock": -1,
                "valid_from": dt.date(2026, 5, 2),
                "valid_until": dt.date(2026, 5, 1),
            },
        )
    assert set(refused.value.fields) == {"name", "points_cost", "stock", "valid_until"}
    assert refused.value.fields["points_cost"] == [rewards.COST_POSITIVE]


def test_only_program_editors_change_the_catalog(program, rep_a, manager):
    with pytest.raises(Forbidden):
        rewards.reward_create(actor=rep_a, program=program, data={"name": "x", "points_cost": 5})
    reward = rewards.reward_create(
        actor=manager, program=program, data={"name": "Tote", "points_cost": 50, "stock": 3}
    )
    updated = rewards.reward_update(
        actor=manager, reward=reward, data={"points_cost": 60}, version=reward.version
    )
    assert Reward.objects.get(pk=updated.pk).points_cost == 60


def test_reserve_debits_points_and_stock_then_cancel_refunds_both(program, member, rep_a):
    reward = make_reward(program, points_cost=100, stock=2)

    redemption = rewards.redemption_reserve(actor=rep_a, member=member, reward=reward)

    member.refresh_from_db()
    reward.refresh_from_db()
    assert (member.balance, reward.stock, redemption.status) == (150, 1, "reserved")
    debit = member.entries.get(kind=EntryKind.REDEEM)
    assert (debit.points, debit.redemption_id) == (-100, redemption.pk)

    rewards.redemption_cancel(actor=rep_a, redemption=redemption)

    member.refresh_from_db()
    reward.refresh_from_db()
    assert (member.balance, reward.stock) == (250, 2)
    assert redemption.status == RedemptionStatus.CANCELLED and redemption.cancelled_at
    assert member.entries.get(kind=EntryKind.REFUND).points == 100
    assert balance_from_ledger(member) == 250


def test_a_refused_reservation_leaves_no_trace(program, member, rep_a):
    reward = make_reward(program, points_cost=300, stock=5)
    with pytest.raises(InsufficientPoints):
        rewards.redemption_reserve(actor=rep_a, member=member, reward=reward)
    reward.refresh_from_db()
    assert reward.stock == 5
    assert not reward.redemptions.exists()
    assert member.entries.count() == 1


def test_out_of_stock_is_a_conflict_and_keeps_the_points(program, member, rep_a):
    reward = make_reward(program, stock=0)
    with pytest.raises(rewards.OutOfStock):
        rewards.redemption_reserve(actor=rep_a, member=member, reward=reward)
    member.refresh_from_db()
    assert member.balance == 250


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"is_active": False}, rewards.REWARD_INACTIVE),
        ({"valid_until": dt.date(2020, 1, 1)}, "could be redeemed until 2020-01-01"),
        ({"valid_from": dt.date(2999, 1, 1)}, "can be redeemed from 2999-01-01"),
    ],
)
def test_unavailable_rewards_are_refused_with_the_reason(program, member, rep_a, fields, reason):
    reward = make_reward(program, **fields)
    with pytest.raises(ValidationFailed) as refused:
        rewards.redemption_reserve(actor=rep_a, member=member, reward=reward)
    assert reason in refused.value.fields["reward"][0]


def test_a_reward_of_another_program_is_refused(member, rep_a, admin):
    other = make_reward(make_program(admin, name="Other"))
    with pytest.raises(ValidationFailed) as refused:
        rewards.redemption_reserve(actor=rep_a, member=member, reward=other)
    assert refused.value.fields == {"reward": [rewards.OTHER_PROGRAM]}


def test_confirmed_is_final_except_for_program_editors_with_a_reason(
    program, member, rep_a, manager
):
    reward = make_reward(program, stock=1)
    redemption = rewards.redemption_reserve(actor=rep_a, member=member, reward=reward)
    rewards.redemption_confirm(actor=rep_a, redemption=redemption)
    assert redemption.status == RedemptionStatus.CONFIRMED and redemption.confirmed_at

    with pytest.raises(rewards.RedemptionStateConflict):
        rewards.redemption_confirm(actor=rep_a, redemption=redemption)
    with pytest.raises(Forbidden):
        rewards.redemption_cancel(actor=rep_a, redemption=redemption, reason="oops")
    with pytest.raises(ValidationFailed) as refused:
        rewards.redemption_cancel(actor=manager, redemption=redemption)
    assert refused.value.fields == {"reason": [rewards.CANCEL_REASON_REQUIRED]}

    rewards.redemption_cancel(actor=manager, redemption=redemption, reason="Parcel lost")

    assert redemption.note == "Parcel lost"
    with pytest.raises(rewards.RedemptionStateConflict):
        rewards.redemption_cancel(actor=manager, redemption=redemption, reason="again")
    member.refresh_from_db()
    assert member.balance == 250


def test_a_rep_cannot_redeem_for_another_reps_contact(program, rep_a, rep_b):
    member = make_member(program, rep_a, points=500)
    reward = make_reward(program)
    with pytest.raises(NotFound):
        rewards.redemption_reserve(actor=rep_b, member=member, reward=reward)


def test_delete_switches_off_a_redeemed_reward(program, member, rep_a, admin):
    unused = make_reward(program, name="Unused")
    used = make_reward(program, name="Used")
    rewards.redemption_reserve(actor=rep_a, member=member, reward=used)
    assert rewards.reward_delete(actor=admin, reward=unused) is True
    assert rewards.reward_delete(actor=admin, reward=used) is False
    assert Reward.objects.get(pk=used.pk).is_active is False
    assert not Reward.objects.filter(pk=unused.pk).exists()


def test_enrol_needs_edit_rights_and_is_idempotent(program, rep_a, rep_b):
    from cyclecrm.core.testing.factories import make_contact

    contact = make_contact(rep_a)
    first = rewards.member_join(actor=rep_a, program=program, contact=contact)
    again = rewards.member_join(actor=rep_a, program=program, contact=contact)
    assert first.pk == again.pk
    with pytest.raises(NotFound):
        rewards.member_join(actor=rep_b, program=program, contact=contact)
    assert first.joined_at <= timezone.now()


def test_each_step_emits_an_event_on_the_contact_after_commit(
    program, member, rep_a, django_capture_on_commit_callbacks
):
    from cyclecrm.core import events

    seen = []
    events.subscribe("*", seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            redemption = rewards.redemption_reserve(
                actor=rep_a, member=member, reward=make_reward(program)
            )
            rewards.redemption_cancel(actor=rep_a, redemption=redemption)
    finally:
        events.unsubscribe("*", seen.append)
    mine = [e for e in seen if e.name.startswith("redemption.")]
    assert [(e.name, e.object_id, e.data["status"]) for e in mine] == [
        ("redemption.reserved", member.contact_id, "reserved"),
        ("redemption.cancelled", member.contact_id, "cancelled"),
    ]
