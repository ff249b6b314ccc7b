import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyclecrm.support.hours import (
    DEFAULT_CALENDAR,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
    make_calendar,
)

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# 2026-11-20 is a Friday.
def test_within_the_same_day() -> None:
    assert add_business_minutes(utc(2026, 11, 20, 10), 60, DEFAULT_CALENDAR) == utc(
        2026, 11, 20, 11
    )


def test_rolls_over_the_weekend() -> None:
    # Friday 16:00 + 2h -> 1h Friday, 1h Monday from 09:00.
    due = add_business_minutes(utc(2026, 11, 20, 16), 120, DEFAULT_CALENDAR)
    assert due == utc(2026, 11, 23, 10)


def test_start_outside_hours_counts_from_next_opening() -> None:
    assert add_business_minutes(utc(2026, 11, 20, 20), 30, DEFAULT_CALENDAR) == utc(
        2026, 11, 23, 9, 30
    )
    assert add_business_minutes(utc(2026, 11, 21, 12), 30, DEFAULT_CALENDAR) == utc(
        2026, 11, 23, 9, 30
    )
    assert add_business_minutes(utc(2026, 11, 23, 6), 30, DEFAULT_CALENDAR) == utc(
        2026, 11, 23, 9, 30
    )


def test_exactly_filling_a_day_ends_at_closing() -> None:
    assert add_business_minutes(utc(2026, 11, 23, 9), 480, DEFAULT_CALENDAR) == utc(
        2026, 11, 23, 17
    )


def test_zero_minutes_is_the_start() -> None:
    start = utc(2026, 11, 21, 3)
    assert add_business_minutes(start, 0, DEFAULT_CALENDAR) == start


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError):
        add_business_minutes(utc(2026, 11, 23, 9), -1, DEFAULT_CALENDAR)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        add_business_minutes(dt.datetime(2026, 11, 23, 9), 1, DEFAULT_CALENDAR)


def test_holidays_are_skipped() -> None:
    calendar = make_calendar(holidays=["2026-11-23", "2026-11-24"])
    due = add_business_minutes(utc(2026, 11, 20, 16, 30), 60, calendar)
    assert due == utc(2026, 11, 25, 9, 30)
    assert business_minutes_between(utc(2026, 11, 20, 16, 30), due, calendar) == 60


def test_between_over_a_weekend_and_nights() -> None:
    assert (
        business_minutes_between(utc(2026, 11, 20, 16), utc(2026, 11, 23, 10), DEFAULT_CALENDAR)
        == 120
    )
    # A whole week is five working days.
    week = business_minutes_between(utc(2026, 11, 16), utc(2026, 11, 23), DEFAULT_CALENDAR)
    assert week == 5 * 8 * 60


def test_between_is_negative_backwards() -> None:
    assert (
        business_minutes_between(utc(2026, 11, 23, 11), utc(2026, 11, 23, 10), DEFAULT_CALENDAR)
        == -60
    )


def test_hours_in_a_local_zone() -> None:
    calendar = make_calendar(timezone="Europe/Berlin")
    # 09:00 Berlin in November is 08:00 UTC.
    start = dt.datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert add_business_minutes(start, 1, calendar) == utc(2026, 11, 23, 8, 1)


def test_dst_change_in_a_local_zone() -> None:
    # Europe/Berlin springs forward on Sunday 2026-03-29; Friday 27th closes at 16:00 UTC (CET)
    # and Monday 30th opens at 07:00 UTC (CEST).
    calendar = make_calendar(timezone="Europe/Berlin")
    start = dt.datetime(2026, 3, 27, 16, 30, tzinfo=BERLIN)
    due = add_business_minutes(start, 60, calendar)
    assert due == dt.datetime(2026, 3, 30, 9, 30, tzinfo=BERLIN)
    assert due == utc(2026, 3, 30, 7, 30)
    assert business_minutes_between(start, due, calendar) == 60


def test_hours_spanning_the_dst_change_count_real_time() -> None:
    # Open all day Sunday: the night the clocks spring forward has 23 real hours.
    calendar = make_calendar(
        timezone="Europe/Berlin", working_days=range(7), start=dt.time(0), end=dt.time(23, 59)
    )
    a = dt.datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN)
    b = dt.datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)
    assert business_minutes_between(a, b, calendar) == 120


def test_calendar_without_working_days_fails_clearly() -> None:
    calendar = make_calendar(working_days=[])
    with pytest.raises(CalendarError):
        add_business_minutes(utc(2026, 11, 23, 9), 10, calendar)


calendars = st.sampled_from(
    [
        DEFAULT_CALENDAR,
        make_calendar(timezone="Europe/Berlin", holidays=["2026-03-30", "2026-12-25"]),
        make_calendar(
            timezone="America/New_York",
            working_days=[0, 2, 5],
            start=dt.time(7, 30),
            end=dt.time(19, 0),
        ),
        make_calendar(
            timezone="Australia/Sydney", working_days=range(7), start=dt.time(0), end=dt.time(23)
        ),
    ]
)
instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(start=instants, minutes=st.integers(min_value=0, max_value=20000), calendar=calendars)
def test_between_inverts_add(start: dt.datetime, minutes: int, calendar) -> None:
    due = add_business_minutes(start, minutes, calendar)
    assert due >= start
    assert business_minutes_between(start, due, calendar) == minutes


@given(start=instants, a=st.integers(0, 5000), b=st.integers(0, 5000), calendar=calendars)
def test_add_is_additive(start: dt.datetime, a: int, b: int, calendar) -> None:
    once = add_business_minutes(start, a + b, calendar)
    twice = add_business_minutes(add_business_minutes(start, a, calendar), b, calendar)
    if a and b:
        assert once == twice
    assert business_minutes_between(start, twice, calendar) == a + b
