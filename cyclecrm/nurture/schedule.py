"""When a wait step ends, in the workspace time zone (settings.TIME_ZONE). Pure functions.

Days are calendar days: "wait 2 days" from Friday 10:00 ends Sunday 10:00 local time, even when
a daylight-saving change lies between (so it is 47 or 49 hours then). A local time that does not
exist (the spring-forward gap) is read with the offset before the change, i.e. it falls one
hour later on the clock; an ambiguous one (autumn) is its first occurrence."""

import datetime as dt

from django.utils import timezone


def workspace_zone() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _aware(local: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A naive local wall time as an aware UTC time (fold=0: see the module doc)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def after_delay(
    start: dt.datetime, *, days: int = 0, hours: int = 0, zone: dt.tzinfo | None = None
) -> dt.datetime:
    zone = zone or workspace_zone()
    local = start.astimezone(zone).replace(tzinfo=None)
    return _aware(local + dt.timedelta(days=days), zone) + dt.timedelta(hours=hours)


def next_weekday_time(
    start: dt.datetime, *, weekdays: list[int], at: dt.time, zone: dt.tzinfo | None = None
) -> dt.datetime:
    """The first moment strictly after `start` falling on one of `weekdays` (0 = Monday) at the
    local wall time `at`."""
    zone = zone or workspace_zone()
    local_day = start.astimezone(zone).date()
    for offset in range(8):
        day = local_day + dt.timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        moment = _aware(dt.datetime.combine(day, at), zone)
        if moment > start:
            return moment
    raise ValueError("weekdays must name at least one day")
