"""Points for orders: spend rules by category and in general, currency, first purchase, the same
order never earning twice, and reversal on refund clamped to the balance."""

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import balance_from_ledger, entry_post
from cyclecrm.loyalty.models import EarningAction, EntryKind
from cyclecrm.loyalty.tests.earning_factories import (
    enrol,
    make_program,
    make_rule,
    move,
    place_order,
    priced_product,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def club():
    program = make_program()
    make_rule(program, points_per_unit="1", name="Base")
    make_rule(program, points_per_unit="3", category="Bikes", name="Bikes x3")
    return program


@pytest.fixture
def customer(admin, club):
    contact = make_contact(owner=admin)
    return enrol(club, contact)


def paid_order(admin, contact, lines, capture, currency="EUR"):
    order = place_order(admin, contact, lines, currency=currency)
    with capture(execute=True):
        move(admin, order, "paid")
    return order


def test_category_lines_earn_only_by_their_category_rule(
    admin, customer, django_capture_on_commit_callbacks
):
    # given a bike line (category rule x3) and an accessory line (general rule x1)
    bike, bell = priced_product("100.00", "Bikes"), priced_product("12.50", "Accessories")

    # when the order is paid
    order = paid_order(
        admin, customer.contact, [(bike, 2), (bell, 1)], django_capture_on_commit_callbacks
    )

    # then 200*3 + floor(12.50*1)
    customer.refresh_from_db()
    assert customer.balance == 612 == balance_from_ledger(customer)
    keys = sorted(customer.entries.values_list("source_key", flat=True))
    assert all(key.startswith(f"order:{order.pk}:") for key in keys)
    assert customer.entries.filter(expires_at__isnull=False).count() == 2


def test_fulfilled_after_paid_earns_nothing_more(
    admin, customer, django_capture_on_commit_callbacks
):
    bell = priced_product("10.00")
    order = paid_order(admin, customer.contact, [(bell, 5)], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        move(admin, order, "fulfilled")
    customer.refresh_from_db()
    assert customer.balance == 50
    assert customer.entries.count() == 1


def test_an_order_in_another_currency_earns_nothing(
    admin, customer, django_capture_on_commit_callbacks
):
    dollar_bell = priced_product("10.00", currency="USD")
    paid_order(
        admin, customer.contact, [(dollar_bell, 5)], django_capture_on_commit_callbacks, "USD"
    )
    customer.refresh_from_db()
    assert customer.balance == 0


def test_non_members_earn_nothing(admin, club, django_capture_on_commit_callbacks):
    stranger = make_contact(owner=admin)
    paid_order(admin, stranger, [(priced_product("10"), 1)], django_capture_on_commit_callbacks)
    assert not stranger.loyalty_memberships.exists()


def test_first_purchase_points_only_on_the_first_paid_order(
    admin, club, customer, django_capture_on_commit_callbacks
):
    make_rule(club, EarningAction.FIRST_PURCHASE, points=100)
    bell = priced_product("10.00")
    paid_order(admin, customer.contact, [(bell, 1)], django_capture_on_commit_callbacks)
    paid_order(admin, customer.contact, [(bell, 1)], django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.balance == 10 + 100 + 10


def test_refund_reverses_the_order_points(admin, customer, django_capture_on_commit_callbacks):
    bell = priced_product("10.00")
    order = paid_order(admin, customer.contact, [(bell, 4)], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        move(admin, order, "refunded")
    customer.refresh_from_db()
    assert customer.balance == 0
    reversal = customer.entries.get(kind=EntryKind.ADJUST)
    assert reversal.points == -40 and reversal.source_key == f"order:{order.pk}:reversal"


def test_reversal_is_clamped_to_what_is_left(admin, customer, django_capture_on_commit_callbacks):
    bell = priced_product("10.00")
    order = paid_order(admin, customer.contact, [(bell, 4)], django_capture_on_commit_callbacks)
    entry_post(member=customer, kind=EntryKind.REDEEM, points=-30, reason="mug")
    with django_capture_on_commit_callbacks(execute=True):
        move(admin, order, "refunded")
    customer.refresh_from_db()
    assert customer.balance == 0 == balance_from_ledger(customer)
    assert customer.entries.get(kind=EntryKind.ADJUST).points == -10


def test_replayed_events_do_not_earn_twice(admin, customer, django_capture_on_commit_callbacks):
    from cyclecrm.loyalty.spend import order_earn

    bell = priced_product("10.00")
    order = paid_order(admin, customer.contact, [(bell, 3)], django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order_earn(order=order) == []
    customer.refresh_from_db()
    assert customer.balance == 30


def test_survey_and_review_events_award_action_points(
    admin, club, customer, django_capture_on_commit_callbacks
):
    from cyclecrm.core.events import Event, emit

    make_rule(club, EarningAction.SURVEY_ANSWERED, points=5)
    make_rule(club, EarningAction.REVIEW_WRITTEN, points=25)
    contact_id = customer.contact_id
    with django_capture_on_commit_callbacks(execute=True):
        emit(Event("survey.answered", "contact", contact_id, None, {"response_id": 9}))
        emit(Event("survey.answered", "contact", contact_id, None, {"response_id": 9}))
        emit(
            Event("review.submitted", "review", 4, None, {"review_id": 4, "contact_id": contact_id})
        )
    customer.refresh_from_db()
    assert customer.balance == 30


def test_enrol_checked_and_enrol_all_customers(
    admin, rep_a, rep_b, manager, api_client, django_capture_on_commit_callbacks
):
    from cyclecrm.core.errors import NotFound
    from cyclecrm.loyalty.members import member_enroll_checked

    program = make_program(name="Other club")
    theirs = make_contact(owner=rep_b)
    mine = make_contact(owner=rep_a)
    with pytest.raises(NotFound):
        member_enroll_checked(actor=rep_a, program=program, contact=theirs)
    assert member_enroll_checked(actor=rep_a, program=program, contact=mine).contact == mine

    buyer = make_contact(owner=admin)
    paid_order(admin, buyer, [(priced_product("5"), 1)], django_capture_on_commit_callbacks)
    url = f"/api/v1/loyalty/programs/{program.pk}/enroll-customers"
    assert api_client(rep_a).post(url).status_code == 403
    assert api_client(manager).post(url).json() == {"enrolled": 1}
    assert api_client(manager).post(url).json() == {"enrolled": 0}
    assert program.members.filter(contact=buyer).exists()
