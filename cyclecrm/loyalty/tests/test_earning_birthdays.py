"""Birthday points: once a year on the birthday (28 February for 29 February outside leap
years), only for members."""

import datetime as dt

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.birthdays import birthday_points
from cyclecrm.loyalty.models import EarningAction
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program, make_rule

pytestmark = pytest.mark.django_db


def test_birthday_points_once_a_year(admin):
    program = make_program()
    make_rule(program, EarningAction.BIRTHDAY, points=50)
    member = enrol(program, make_contact(owner=admin, birth_date=dt.date(1990, 6, 3)))
    leapling = enrol(program, make_contact(owner=admin, birth_date=dt.date(1992, 2, 29)))
    make_contact(owner=admin, birth_date=dt.date(1990, 6, 3))  # not a member

    assert birthday_points(dt.date(2026, 6, 3)) == 1
    assert birthday_points(dt.date(2026, 6, 3)) == 0
    assert birthday_points(dt.date(2026, 2, 28)) == 1
    assert birthday_points(dt.date(2028, 2, 28)) == 0  # a leap year: the 29th comes

    member.refresh_from_db()
    leapling.refresh_from_db()
    assert (member.balance, leapling.balance) == (50, 50)
    assert member.entries.get().source_key.startswith("birthday:2026")
