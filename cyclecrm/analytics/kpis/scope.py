"""Building blocks for metric computations: the permission-scoped, filtered queryset, period
buckets, gap-free series and the rounding every metric shares.

Every metric starts from `scoped(actor, ...)`, which applies the one permission gate
(`access.restrict`), so a sales rep's KPI counts only records the rep may read, then the
dashboard filters along the paths the metric names.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import DateField, Q, QuerySet
from django.db.models.functions import Trunc
from django.urls import reverse

from cyclecrm.analytics.kpis.definitions import Number, Point
from cyclecrm.analytics.kpis.query import UTC, KpiQuery
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import User

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def scoped(
    actor: User,
    queryset: QuerySet,
    q: KpiQuery,
    *,
    owner: str | None = "owner",
    team: str | None = "team",
    pipeline: str | None = None,
    campaign: str | None = None,
    contact: str | None = None,
    restrict: bool = True,
) -> QuerySet:
    """`queryset` limited to what `actor` may read and to the query's filters, each applied
    along the given lookup path (None: the metric does not accept that filter)."""
    if restrict:
        queryset = access.restrict(queryset, actor)
    conditions = Q()
    for path, value in (
        (owner, q.owner),
        (team, q.team),
        (pipeline, q.pipeline),
        (campaign, q.campaign),
    ):
        if path and value is not None:
            conditions &= Q(**{f"{path}_id" if "__" not in path else path: value})
    if contact and q.segment is not None:
        conditions &= Q(**{f"{contact}__in": segment_contact_ids(actor, q.segment)})
    return queryset.filter(conditions)


def segment_contact_ids(actor: User, segment_id: int) -> QuerySet:
    """Ids of the segment's members the actor may read (a subquery, never loaded)."""
    from cyclecrm.segments.selectors import segment_get, segment_members

    try:
        segment = segment_get(actor=actor, pk=segment_id)
    except NotFound:
        raise ValidationFailed(
            "The KPI query is not valid.", fields={"segment": [f"No segment {segment_id}."]}
        ) from None
    return segment_members(actor=actor, segment=segment).order_by().values("pk")


def in_period(field: str, q: KpiQuery) -> Q:
    """Rows whose datetime `field` falls in the period (UTC days, end exclusive)."""
    return Q(**{f"{field}__gte": q.since, f"{field}__lt": q.until})


def in_period_dates(field: str, q: KpiQuery) -> Q:
    """Rows whose date `field` falls in the period (inclusive dates)."""
    return Q(**{f"{field}__gte": q.start, f"{field}__lte": q.end})


def bucket(field: str, grain: str) -> Trunc:
    """The first day of the UTC day, ISO week (Monday) or month of datetime `field`."""
    return Trunc(field, grain, output_field=DateField(), tzinfo=UTC)


def periods(q: KpiQuery) -> list[dt.date]:
    """Every bucket start of the query's grain that overlaps the period."""
    if q.grain is None:
        return []
    first = _bucket_start(q.start, q.grain)
    out = []
    day = first
    while day <= q.end:
        out.append(day)
        day = _next(day, q.grain)
    return out


def _bucket_start(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _next(day: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return day + dt.timedelta(days=1)
    if grain == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def as_date(value: Any) -> dt.date:
    """A bucket value from the database (a date, or a datetime/str on some backends)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def series(
    q: KpiQuery, values: Mapping[dt.date, Number | None], empty: Number | None = 0
) -> list[Point]:
    """A gap-free series over the period: buckets without rows get `empty`."""
    found = {as_date(key): value for key, value in values.items()}
    return [Point(period=day, value=found.get(day, empty)) for day in periods(q)]


def split_series(
    q: KpiQuery,
    rows: Iterable[tuple[Any, str, Number | None]],
    keys: Iterable[str],
    empty: Number = 0,
) -> list[Point]:
    """A gap-free series whose points carry one value per part, from (bucket, key, value) rows."""
    cells: dict[dt.date, dict[str, Number | None]] = {}
    for period, key, value in rows:
        cells.setdefault(as_date(period), {})[key] = value
    keys = list(keys)
    points = []
    for day in periods(q):
        parts = {key: cells.get(day, {}).get(key, empty) for key in keys}
        total = sum((v or 0) for v in parts.values())
        points.append(Point(period=day, value=total, parts=parts))
    return points


def percent(part: Number | None, whole: Number | None) -> Decimal | None:
    """part / whole in percent, two decimals half up; None when whole is 0 (no data)."""
    if not whole or part is None:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def quotient(part: Number | None, whole: Number | None) -> Decimal | None:
    """part / whole, two decimals half up; None when whole is 0."""
    if not whole or part is None:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Number | None) -> Decimal:
    """A base-currency amount rounded to cents (None counts as 0)."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def to_days(value: dt.timedelta | float | None) -> Decimal | None:
    """A duration in days, two decimals (a float is taken as seconds)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    return (Decimal(seconds) / Decimal(86_400)).quantize(CENT, rounding=ROUND_HALF_UP)


def to_hours(value: dt.timedelta | float | None) -> Decimal | None:
    """A duration in hours, two decimals (a float is taken as seconds)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    return (Decimal(seconds) / Decimal(3_600)).quantize(CENT, rounding=ROUND_HALF_UP)


def drill(url_name: str, **params: Any) -> str:
    """The URL of a record list filtered by `params` (None values are left out)."""
    query = {key: value for key, value in params.items() if value is not None and value != ""}
    url = reverse(url_name)
    return f"{url}?{urlencode(query)}" if query else url


def drill_period(
    q: KpiQuery, after: str = "created_after", before: str = "created_before"
) -> dict[str, str]:
    """List filter parameters selecting the query's period (ISO instants)."""
    return {after: q.since.isoformat(), before: q.until.isoformat()}


def drill_filters(
    q: KpiQuery, *, owner: str | None = "owner_id", team: str | None = "team_id"
) -> dict[str, Any]:
    """List filter parameters for the dashboard filters a record list understands."""
    out: dict[str, Any] = {}
    if owner and q.owner is not None:
        out[owner] = q.owner
    if team and q.team is not None:
        out[team] = q.team
    return out
