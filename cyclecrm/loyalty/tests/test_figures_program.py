"""Program figures on a small hand-built data set; the expected numbers are worked out by hand
in the comments."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.catalog.models import Order
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.figures import program_figures
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EntryKind, Member, PointsEntry
from cyclecrm.loyalty.tests.reward_factories import make_member, make_program

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


def post(member, kind, points, days_ago):
    entry = entry_post(member=member, kind=kind, points=points, reason=kind)
    # Backdating test data only: the ledger itself never edits an entry.
    PointsEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )


def order(contact, total, days_ago, status="paid", currency="USD"):
    Order.objects.create(
        number=f"F-{next(_numbers)}",
        contact=contact,
        status=status,
        currency=currency,
        total=Decimal(total),
        ordered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def data(admin):
    program = make_program(admin)
    other = make_program(admin, name="Other club")
    m1 = make_member(program, admin)
    m2 = make_member(program, admin)
    m3 = make_member(program, admin)
    late = make_member(program, admin)
    Member.objects.filter(pk=late.pk).update(joined_at=timezone.now() + dt.timedelta(hours=1))
    post(m1, EntryKind.EARN, 1000, 60)  # before the period, inside the active window
    post(m1, EntryKind.EARN, 500, 5)
    post(m1, EntryKind.REDEEM, -200, 3)
    post(m1, EntryKind.REFUND, 50, 2)
    post(m1, EntryKind.EXPIRE, -100, 1)
    post(m1, EntryKind.ADJUST, 7, 1)  # in none of issued / redeemed / expired
    post(m2, EntryKind.EARN, 300, 100)  # m2: nothing in the 90 days, so inactive
    c1, c3 = m1.contact, m3.contact
    c4, c5 = make_contact(admin), make_contact(admin)
    Member.objects.create(program=other, contact=c5)
    order(c1, "100", 4)
    order(c1, "50", 2, status="fulfilled")
    order(c3, "30", 10)  # m3 is active through this order
    order(c4, "70", 6)
    order(c4, "1000", 6, status="pending")
    order(c4, "500", 6, currency="EUR")
    order(c4, "999", 40)
    order(c5, "10", 8)
    order(c5, "10", 7)
    order(c5, "10", 7, status="cancelled")
    return program


def test_figures_match_the_hand_computed_values(data, admin):
    until = timezone.now()
    figures = program_figures(
        actor=admin, program=data, since=until - dt.timedelta(days=30), until=until
    )

    # members m1, m2, m3 (late joined after `until`); active: m1 (entries), m3 (order)
    assert (figures.members, figures.active_members) == (3, 2)
    # issued 500; redeemed 200 - 50 refunded = 150; expired 100; rate 150 / 500
    assert (figures.points_issued, figures.points_redeemed, figures.points_expired) == (
        500,
        150,
        100,
    )
    assert figures.redemption_rate == 0.3
    # members: c1 two orders (100 + 50), c3 one (30) -> 2 buyers, 1 repeat, 180 / 3 = 60
    members = figures.members_buying
    assert (members.buyers, members.orders, members.revenue, members.repeat_buyers) == (
        2,
        3,
        Decimal("180.00"),
        1,
    )
    assert (members.repeat_purchase_rate, members.average_order_value) == (0.5, Decimal("60.00"))
    # non-members: c4 one USD paid order in the period (70), c5 two (10 + 10; c5 is only in
    # the other program) -> 2 buyers, 1 repeat, 90 / 3 = 30
    others = figures.non_members_buying
    assert (others.buyers, others.orders, others.revenue, others.repeat_buyers) == (
        2,
        3,
        Decimal("90.00"),
        1,
    )
    assert (others.repeat_purchase_rate, others.average_order_value) == (0.5, Decimal("30.00"))


def test_empty_period_has_no_rates(admin):
    figures = program_figures(actor=admin, program=make_program(admin))
    assert figures.redemption_rate is None
    assert figures.members_buying.average_order_value is None


def test_figures_need_the_export_right_and_a_sane_period(data, rep_a, marketer):
    with pytest.raises(Forbidden):
        program_figures(actor=rep_a, program=data)
    now = timezone.now()
    with pytest.raises(ValidationFailed) as refused:
        program_figures(actor=marketer, program=data, since=now, until=now)
    assert "since" in refused.value.fields


def test_figures_api_and_page(api_client, web_client, data, admin):
    response = api_client(admin).get(
        f"/api/v1/loyalty/programs/{data.pk}/figures?since=2000-01-01T00:00:00Z"
    )
    assert response.status_code == 422  # more than ten years
    body = api_client(admin).get(f"/api/v1/loyalty/programs/{data.pk}/figures").json()
    assert (body["members"], body["points_issued"], body["redemption_rate"]) == (3, 1800, 0.0833)
    assert body["members_buying"]["revenue"] == "180.00"
    page = web_client(admin).get(f"/loyalty/programs/{data.pk}/figures/")
    assert page.status_code == 200
    assert 'data-figure="members">3<' in page.content.decode()
