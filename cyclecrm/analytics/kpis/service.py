"""Service metrics: case volumes, response and resolution times, SLA compliance and the backlog
(docs/kpis.md#service). The survey scores (`csat`, `nps`) live in `service_surveys`.

Cases are read through `scoped` (the `case` permission: a support agent sees the cases of their
queues); `team` is the case's queue, `owner` its assignee, `segment` its contact's segment.
"""

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from cyclecrm.analytics.kpis import service_surveys  # noqa: F401 (registers csat and nps)
from cyclecrm.analytics.kpis.definitions import Area, Group, Number, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import (
    as_date,
    bucket,
    drill,
    drill_filters,
    in_period,
    percent,
    periods,
    scoped,
    series,
    split_series,
    to_hours,
)
from cyclecrm.identity.models import User
from cyclecrm.support.filters import SLA_TARGETS, open_at_q, sla_met_q, sla_missed_q
from cyclecrm.support.models import Case, CaseChannel, CasePriority, CaseStatus

CASE_SOURCES = ("support.Case",)
CASE_FILTERS = frozenset({"team", "owner", "segment"})
LABELS: dict[str, dict[str, str]] = {
    "channel": dict(CaseChannel.choices),
    "priority": dict(CasePriority.choices),
    "status": dict(CaseStatus.choices),
}


def _cases(actor: User, q: KpiQuery) -> QuerySet[Case]:
    return scoped(actor, Case.objects.all(), q, contact="contact")


def _base(q: KpiQuery, after: str, before: str) -> dict[str, Any]:
    """Case list parameters for the period (by `after`/`before`) and the dashboard filters."""
    return {after: q.since.isoformat(), before: q.until.isoformat(), **drill_filters(q)}


def _groups(
    rows: Iterable[dict[str, Any]],
    dimension: str,
    value: Callable[[dict[str, Any]], Number | None],
    base: dict[str, Any],
    averaged: bool = False,
) -> list[Group]:
    """Groups from rows keyed by the dimension (`team_id` + `team__name` for the queue); an
    `averaged` value carries its number of cases (`n`) as the denominator."""
    out = []
    for row in rows:
        if dimension == "team":
            key, label = row["team_id"], row["team__name"] or "No queue"
            params = {**base, "team_id": key}
        else:
            key = row[dimension]
            label = LABELS[dimension].get(key, key)
            params = {**base, dimension: key}
        out.append(
            Group(
                key=str(key or ""),
                label=label,
                value=value(row),
                denominator=row["n"] if averaged else None,
                drill_url=drill("case_list", **params) if key else None,
            )
        )
    return out


def _by(dimension: str) -> tuple[str, ...]:
    return ("team_id", "team__name") if dimension == "team" else (dimension,)


def _count(actor: User, q: KpiQuery, field: str, after: str, before: str) -> Result:
    """Cases whose `field` falls in the period: a total, a series, a split series or groups."""
    cases = _cases(actor, q).filter(in_period(field, q))
    base = _base(q, after, before)
    url = drill("case_list", **base)
    if q.grain:
        rows = cases.annotate(period=bucket(field, q.grain)).order_by()
        if q.split_by == "channel":
            split = rows.values_list("period", "channel").annotate(n=Count("id"))
            points = split_series(q, split, LABELS["channel"])
            parts: dict[str, str] | None = LABELS["channel"]
        else:
            points = series(
                q, {r["period"]: r["n"] for r in rows.values("period").annotate(n=Count("id"))}
            )
            parts = None
        return Result(
            value=sum(p.value or 0 for p in points), series=points, parts=parts, drill_url=url
        )
    if q.dimension:
        rows = (
            cases.values(*_by(q.dimension))
            .annotate(n=Count("id"))
            .order_by("-n", *_by(q.dimension))
        )
        groups = _groups(rows, q.dimension, lambda row: row["n"], base)
        return Result(value=sum(g.value for g in groups), groups=groups, drill_url=url)
    return Result(value=cases.count(), drill_url=url)


@metric(
    name="cases_opened",
    label="Cases opened",
    area=Area.SERVICE,
    unit=Unit.COUNT,
    description="Support cases created in the period.",
    formula="count(cases with created_at in the period)",
    period="Cases created in the period (UTC days).",
    filters=CASE_FILTERS,
    dimensions=("channel", "priority", "status", "team"),
    splits=("channel",),
    sources=CASE_SOURCES,
    chart="stacked_area",
    example="9 cases created from 1 to 30 June: cases_opened = 9.",
)
def cases_opened(actor: User, q: KpiQuery) -> Result:
    return _count(actor, q, "created_at", "created_after", "created_before")


@metric(
    name="cases_resolved",
    label="Cases resolved",
    area=Area.SERVICE,
    unit=Unit.COUNT,
    description="Support cases resolved in the period (closing a case also resolves it).",
    formula="count(cases with resolved_at in the period)",
    period="Cases resolved in the period (UTC days); a reopened case counts when re-resolved.",
    filters=CASE_FILTERS,
    dimensions=("channel", "priority", "team"),
    splits=("channel",),
    sources=CASE_SOURCES,
    chart="bar",
    example="7 cases resolved from 1 to 30 June: cases_resolved = 7.",
)
def cases_resolved(actor: User, q: KpiQuery) -> Result:
    return _count(actor, q, "resolved_at", "resolved_after", "resolved_before")


def _average_hours(
    actor: User, q: KpiQuery, done: str, after: str, before: str, what: str
) -> Result:
    """The mean wall-clock time from creation to `done`, over cases whose `done` is in the
    period, averaged in the database."""
    cases = _cases(actor, q).filter(in_period(done, q))
    took = ExpressionWrapper(F(done) - F("created_at"), output_field=DurationField())
    base = _base(q, after, before)
    url = drill("case_list", **base)
    if q.grain:
        rows = (
            cases.annotate(period=bucket(done, q.grain))
            .values("period")
            .annotate(avg=Avg(took))
            .order_by()
        )
        points = series(q, {r["period"]: to_hours(r["avg"]) for r in rows}, empty=None)
        total = cases.aggregate(avg=Avg(took), n=Count("id"))
        return _hours_result(total, points, None, url, what)
    if q.dimension:
        rows = (
            cases.values(*_by(q.dimension))
            .annotate(avg=Avg(took), n=Count("id"))
            .order_by(*_by(q.dimension))
        )
        groups = _groups(rows, q.dimension, lambda row: to_hours(row["avg"]), base, averaged=True)
        total = cases.aggregate(avg=Avg(took), n=Count("id"))
        return _hours_result(total, None, groups, url, what)
    return _hours_result(cases.aggregate(avg=Avg(took), n=Count("id")), None, None, url, what)


def _hours_result(total: dict, points: Any, groups: Any, url: str, what: str) -> Result:
    return Result(
        value=to_hours(total["avg"]),
        no_data=None if total["n"] else f"No case was {what} in the period.",
        denominator=total["n"],
        series=points,
        groups=groups,
        drill_url=url,
    )


@metric(
    name="first_response_time",
    label="First response time",
    area=Area.SERVICE,
    unit=Unit.HOURS,
    description="Average wall-clock hours from a case's creation to its first reply.",
    formula="avg(first_responded_at - created_at) over cases first responded in the period",
    period="Cases whose first response was in the period (UTC days).",
    filters=CASE_FILTERS,
    dimensions=("priority", "team"),
    sources=CASE_SOURCES,
    higher_is_better=False,
    example="Replies after 1 h, 2 h and 6 h: first_response_time = 9 / 3 = 3.0 h.",
)
def first_response_time(actor: User, q: KpiQuery) -> Result:
    return _average_hours(
        actor, q, "first_responded_at", "responded_after", "responded_before", "first answered"
    )


@metric(
    name="resolution_time",
    label="Resolution time",
    area=Area.SERVICE,
    unit=Unit.HOURS,
    description="Average wall-clock hours from a case's creation to its resolution.",
    formula="avg(resolved_at - created_at) over cases resolved in the period",
    period="Cases resolved in the period (UTC days).",
    filters=CASE_FILTERS,
    dimensions=("priority", "team"),
    sources=CASE_SOURCES,
    higher_is_better=False,
    example="Cases resolved after 10 h and 30 h: resolution_time = 40 / 2 = 20.0 h.",
)
def resolution_time(actor: User, q: KpiQuery) -> Result:
    return _average_hours(actor, q, "resolved_at", "resolved_after", "resolved_before", "resolved")


def _sla_counts(q: KpiQuery) -> dict[str, Count]:
    """met_<target> / missed_<target> counts, each dated as `sla_met_q` / `sla_missed_q` say."""
    out = {}
    for target in SLA_TARGETS:
        out[f"met_{target}"] = Count("id", filter=sla_met_q(target, q.since, q.until))
        out[f"missed_{target}"] = Count("id", filter=sla_missed_q(target, q.since, q.until))
    return out


def _settled(q: KpiQuery) -> Q:
    out = Q()
    for target in SLA_TARGETS:
        out |= sla_met_q(target, q.since, q.until) | sla_missed_q(target, q.since, q.until)
    return out


def _met_and_total(row: dict[str, int]) -> tuple[int, int]:
    met = sum(row[f"met_{t}"] for t in SLA_TARGETS)
    return met, met + sum(row[f"missed_{t}"] for t in SLA_TARGETS)


def _sla_series(cases: QuerySet[Case], q: KpiQuery) -> list:
    """Compliance per bucket: four grouped counts (met / missed x two targets), a met target
    dated when it was met, a missed one when it fell due."""
    met: dict = {}
    total: dict = {}
    for target, (done, due, _) in SLA_TARGETS.items():
        for outcome, field, condition in (
            ("met", done, sla_met_q(target, q.since, q.until)),
            ("missed", due, sla_missed_q(target, q.since, q.until)),
        ):
            rows = (
                cases.filter(condition)
                .annotate(period=bucket(field, q.grain))
                .values("period")
                .annotate(n=Count("id"))
                .order_by()
            )
            for row in rows:
                day = as_date(row["period"])
                total[day] = total.get(day, 0) + row["n"]
                if outcome == "met":
                    met[day] = met.get(day, 0) + row["n"]
    return series(q, {day: percent(met.get(day, 0), n) for day, n in total.items()}, empty=None)


@metric(
    name="sla_compliance",
    label="SLA compliance",
    area=Area.SERVICE,
    unit=Unit.PERCENT,
    description=(
        "Share of SLA targets (first response and resolution) met among those settled in the "
        "period."
    ),
    formula=(
        "met targets / (met + missed targets) x 100; a target is met when done by its due time "
        "with no breach recorded (dated when done), missed when the breach was recorded or it "
        "was done late (dated at its due time)"
    ),
    period="Targets met in the period, or due in the period and missed (UTC days).",
    filters=CASE_FILTERS,
    dimensions=("priority", "team"),
    sources=CASE_SOURCES,
    chart="gauge",
    example="3 first responses on time, 1 late, 2 resolutions on time: 5 / 6 = 83.33 %.",
)
def sla_compliance(actor: User, q: KpiQuery) -> Result:
    cases = _cases(actor, q).filter(_settled(q))
    url = drill("case_list", **_base(q, "sla_missed_after", "sla_missed_before"))
    counts = _sla_counts(q)
    groups = points = None
    if q.grain:
        points = _sla_series(cases, q)
    elif q.dimension:
        rows = list(cases.values(*_by(q.dimension)).annotate(**counts).order_by(*_by(q.dimension)))
        base = _base(q, "sla_missed_after", "sla_missed_before")
        groups = [
            replace(group, numerator=_met_and_total(row)[0], denominator=_met_and_total(row)[1])
            for group, row in zip(
                _groups(rows, q.dimension, lambda r: percent(*_met_and_total(r)), base),
                rows,
                strict=True,
            )
        ]
    row = cases.aggregate(**counts)
    met, total = _met_and_total(row)
    return Result(
        value=percent(met, total),
        no_data=None if total else "No SLA target was met or fell due in the period.",
        numerator=met,
        denominator=total,
        series=points,
        groups=groups,
        drill_url=url,
        extra={key: row[key] for key in counts},
    )


@metric(
    name="case_backlog",
    label="Case backlog",
    area=Area.SERVICE,
    unit=Unit.COUNT,
    description="Cases open at the end of the period, from creation and resolution times.",
    formula="count(cases with created_at < end and (resolved_at is null or resolved_at >= end))",
    period="Open at the end of the period; a series gives the backlog at each bucket's end.",
    filters=CASE_FILTERS,
    dimensions=("priority", "team"),
    sources=CASE_SOURCES,
    higher_is_better=False,
    chart="line",
    example="12 cases created before 1 July, 5 of them resolved before it: case_backlog = 7.",
)
def case_backlog(actor: User, q: KpiQuery) -> Result:
    cases = _cases(actor, q)
    url = drill("case_list", open_at=q.until.isoformat(), **drill_filters(q))
    if q.grain:
        points = _backlog_series(cases, q)
        return Result(value=points[-1].value if points else 0, series=points, drill_url=url)
    open_cases = cases.filter(open_at_q(q.until))
    if q.dimension:
        rows = (
            open_cases.values(*_by(q.dimension))
            .annotate(n=Count("id"))
            .order_by("-n", *_by(q.dimension))
        )
        base = {"open_at": q.until.isoformat(), **drill_filters(q)}
        groups = _groups(rows, q.dimension, lambda row: row["n"], base)
        return Result(value=sum(g.value for g in groups), groups=groups, drill_url=url)
    return Result(value=open_cases.count(), drill_url=url)


def _backlog_series(cases: QuerySet[Case], q: KpiQuery) -> list:
    """The backlog at the end of each bucket (the last one cut at the period's end), in three
    queries: open at the start, plus cases opened, minus cases resolved, bucket by bucket."""
    level = cases.filter(open_at_q(q.since)).count()
    change: dict = {}
    for field, sign in (("created_at", 1), ("resolved_at", -1)):
        rows = (
            cases.filter(in_period(field, q))
            .annotate(period=bucket(field, q.grain))
            .values("period")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            day = as_date(row["period"])
            change[day] = change.get(day, 0) + sign * row["n"]
    levels = {}
    for day in periods(q):
        level += change.get(day, 0)
        levels[day] = level
    return series(q, levels)
