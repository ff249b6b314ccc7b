"""Waits in the workspace time zone, across daylight-saving changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cyclecrm.nurture.schedule import after_delay, next_weekday_time

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_days_are_calendar_days_across_spring_forward():
    # Fri 27 Mar 2026 10:00 CET (09:00 UTC) + 3 days = Mon 30 Mar 10:00 CEST (08:00 UTC)
    assert after_delay(utc(2026, 3, 27, 9), days=3, zone=BERLIN) == utc(2026, 3, 30, 8)


def test_days_across_fall_back():
    # Sat 24 Oct 2026 10:00 CEST (08:00 UTC) + 1 day = Sun 25 Oct 10:00 CET (09:00 UTC)
    assert after_delay(utc(2026, 10, 24, 8), days=1, zone=BERLIN) == utc(2026, 10, 25, 9)


def test_hours_are_elapsed_hours():
    assert after_delay(utc(2026, 3, 29, 0), hours=3, zone=BERLIN) == utc(2026, 3, 29, 3)


def test_next_weekday_time_across_dst():
    # Fri 27 Mar 2026 10:00 CET -> Monday 09:00 CEST = 07:00 UTC
    monday = next_weekday_time(utc(2026, 3, 27, 9), weekdays=[0], at=dt.time(9), zone=BERLIN)
    assert monday == utc(2026, 3, 30, 7)


def test_next_weekday_time_later_today_or_next_week():
    # Monday 30 Mar 2026 06:00 UTC = 08:00 CEST: 09:00 is still ahead today
    start = utc(2026, 3, 30, 6)
    assert next_weekday_time(start, weekdays=[0], at=dt.time(9), zone=BERLIN) == utc(2026, 3, 30, 7)
    # exactly at 09:00 local it is the next Monday (strictly after)
    at_nine = utc(2026, 3, 30, 7)
    assert next_weekday_time(at_nine, weekdays=[0], at=dt.time(9), zone=BERLIN) == utc(
        2026, 4, 6, 7
    )


def test_a_time_in_the_spring_gap_falls_an_hour_later():
    # Sun 29 Mar 2026 02:30 does not exist in Berlin: it is read as 03:30 CEST (01:30 UTC)
    sunday = next_weekday_time(utc(2026, 3, 28, 12), weekdays=[6], at=dt.time(2, 30), zone=BERLIN)
    assert sunday == utc(2026, 3, 29, 1, 30)


def test_an_ambiguous_time_is_its_first_occurrence():
    # Sun 25 Oct 2026 02:30 happens twice; the first is CEST (00:30 UTC)
    sunday = next_weekday_time(utc(2026, 10, 24, 12), weekdays=[6], at=dt.time(2, 30), zone=BERLIN)
    assert sunday == utc(2026, 10, 25, 0, 30)


def test_no_weekday_is_an_error():
    with pytest.raises(ValueError):
        next_weekday_time(utc(2026, 1, 1), weekdays=[], at=dt.time(9), zone=BERLIN)


@pytest.mark.django_db
def test_the_workspace_zone_comes_from_settings(settings, build, ada, marketer, tick):
    from cyclecrm.nurture.engine import wait_until

    settings.TIME_ZONE = "America/New_York"
    sequence = build([("wait", {"weekdays": [0], "time": "09:00"})])
    step = sequence.steps.get()
    # Fri 6 Mar 2026 12:00 UTC; DST starts Sun 8 Mar in New York: Monday 09:00 EDT = 13:00 UTC
    assert wait_until(step, utc(2026, 3, 6, 12)) == utc(2026, 3, 9, 13)
