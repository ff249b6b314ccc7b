"""Expiry: unspent earnings past their date expire first in, first out; a second run posts
nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty import ledger
from cyclecrm.loyalty.expiry import points_expire
from cyclecrm.loyalty.ledger import balance_from_ledger, entry_post
from cyclecrm.loyalty.models import EntryKind
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def member(admin):
    return enrol(make_program(), make_contact(owner=admin))


def earn(member, points, expires_at):
    entry_post(member=member, kind=EntryKind.EARN, points=points, reason="x", expires_at=expires_at)


def test_spending_consumes_the_oldest_earnings_first(member):
    now = timezone.now()
    earn(member, 100, now + 10 * DAY)  # oldest
    earn(member, 50, now + 40 * DAY)
    entry_post(member=member, kind=EntryKind.REDEEM, points=-80, reason="mug")

    assert points_expire(at=now + 20 * DAY) == {"members": 1, "points": 20}
    assert points_expire(at=now + 20 * DAY) == {"members": 0, "points": 0}
    assert points_expire(at=now + 50 * DAY) == {"members": 1, "points": 50}

    member.refresh_from_db()
    assert member.balance == 0 == balance_from_ledger(member)
    assert member.entries.filter(kind=EntryKind.EXPIRE).count() == 2


def test_points_that_never_expire_are_kept(member):
    now = timezone.now()
    earn(member, 30, None)
    entry_post(member=member, kind=EntryKind.ADJUST, points=20, reason="goodwill")
    assert points_expire(at=now + 5000 * DAY) == {"members": 0, "points": 0}


def test_spending_after_a_lot_expired_uses_the_live_lot(member, monkeypatch):
    start = timezone.now()
    earn(member, 100, start + 10 * DAY)
    # the ledger's clock on day 11: the first lot has expired, the job has not run yet
    monkeypatch.setattr(ledger.timezone, "now", lambda: start + 11 * DAY)
    earn(member, 40, start + 100 * DAY)
    entry_post(member=member, kind=EntryKind.REDEEM, points=-30, reason="cap")
    monkeypatch.undo()
    assert points_expire(at=start + 12 * DAY) == {"members": 1, "points": 100}
    assert points_expire(at=start + 13 * DAY) == {"members": 0, "points": 0}
    member.refresh_from_db()
    assert member.balance == 10
