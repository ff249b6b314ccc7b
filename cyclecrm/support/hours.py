"""Business time: adding and measuring minutes that only pass during a queue's working hours.

A calendar has a time zone, working weekdays, daily opening hours and holidays. Each working,
non-holiday day contributes one interval `[opening, closing)` in local time, converted to UTC;
business time is the real elapsed time inside those intervals. So on a day when the clocks
change, a 09:00-17:00 day still has eight business hours (the change happens at night), and
hours that span the change count the hours that really pass.

This module is pure (no database) so the rules can be tested exhaustively.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

MINUTE = dt.timedelta(minutes=1)
# A calendar whose working days are all holidays for this long is treated as broken.
MAX_SEARCH_DAYS = 3 * 366


class CalendarError(ValueError):
    """The calendar can never reach the requested business time."""


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def interval(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working interval of a local date in UTC, or None on a day off."""
        if day.weekday() not in self.working_days or day in self.holidays:
            return None
        zone = self.zone
        opening = dt.datetime.combine(day, self.start, tzinfo=zone).astimezone(dt.UTC)
        closing = dt.datetime.combine(day, self.end, tzinfo=zone).astimezone(dt.UTC)
        return (opening, closing) if closing > opening else None

    def intervals_from(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals from `day` on, giving up after `MAX_SEARCH_DAYS` without one."""
        idle = 0
        while idle <= MAX_SEARCH_DAYS:
            interval = self.interval(day)
            if interval is None:
                idle += 1
            else:
                idle = 0
                yield interval
            day += dt.timedelta(days=1)
        raise CalendarError("The calendar has no working time.")


DEFAULT_CALENDAR = Calendar()


def make_calendar(
    *,
    timezone: str = "UTC",
    working_days: Iterable[int] = (0, 1, 2, 3, 4),
    start: dt.time = dt.time(9, 0),
    end: dt.time = dt.time(17, 0),
    holidays: Iterable[dt.date | str] = (),
) -> Calendar:
    """A calendar from stored values (holidays may be ISO date strings)."""
    days = frozenset(
        day if isinstance(day, dt.date) else dt.date.fromisoformat(day) for day in holidays
    )
    return Calendar(timezone, frozenset(int(d) for d in working_days), start, end, days)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("Business time needs timezone-aware datetimes.")
    return value.astimezone(dt.UTC)


def _local_date(value: dt.datetime, calendar: Calendar) -> dt.date:
    return value.astimezone(calendar.zone).date()


def add_business_minutes(start: dt.datetime, minutes: int, calendar: Calendar) -> dt.datetime:
    """The moment `minutes` business minutes after `start` (in UTC).

    Zero minutes is `start` itself, even outside working hours; a positive amount starting
    outside hours begins counting at the next opening.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative.")
    start = _utc(start)
    if minutes == 0:
        return start
    remaining = minutes * MINUTE
    # Start a day early: in zones behind UTC the local date may still be the previous day.
    for opening, closing in calendar.intervals_from(_local_date(start, calendar) - dt.timedelta(1)):
        if closing <= start:
            continue
        begin = max(start, opening)
        available = closing - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise CalendarError("The calendar has no working time.")  # pragma: no cover


def business_minutes_between(a: dt.datetime, b: dt.datetime, calendar: Calendar) -> int:
    """Whole business minutes from `a` to `b`; negative when `b` is before `a`."""
    a, b = _utc(a), _utc(b)
    if b < a:
        return -business_minutes_between(b, a, calendar)
    total = dt.timedelta(0)
    day = _local_date(a, calendar) - dt.timedelta(days=1)
    last = _local_date(b, calendar) + dt.timedelta(days=1)
    while day <= last:
        interval = calendar.interval(day)
        if interval is not None:
            overlap = min(b, interval[1]) - max(a, interval[0])
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total // MINUTE
