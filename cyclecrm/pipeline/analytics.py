"""Forecast and pipeline statistics, computed in the database with aggregates over the
opportunities the actor may read, amounts converted to the base currency per row (see
`currency.with_base_amounts`). The formulas are spelled out in docs/pipeline.md.

- forecast: per expected-close month and owner, the weighted pipeline of open opportunities
  (Σ amount * rate * probability / 100), their unweighted amount, and beside it the amount won
  per close month.
- stats: for one pipeline, each open stage's share of the open opportunities and of their
  value; stage-to-stage conversion along the funnel (open stages in order, then the won stage)
  from the stage history; the average days a stay in each open stage lasts (from consecutive
  stage changes; the current stay of an open opportunity counts until now); the bottleneck (the
  open stage with the longest average stay); the win rate (won / (won + lost)); the average
  sales cycle (created → closed, won opportunities, in days).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.pipeline.currency import base_currency, base_total, require_rates, with_base_amounts
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange, StageKind

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole in percent with two decimals, half up; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _days(value: dt.timedelta | None) -> Decimal | None:
    if value is None:
        return None
    micro = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return (Decimal(micro) / Decimal(86_400_000_000)).quantize(CENT, rounding=ROUND_HALF_UP)


def _as_date(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    if isinstance(value, str):  # SQLite hands some computed dates back as text
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _visible(actor: User, pipeline: Pipeline | None, owner_id: int | None) -> QuerySet:
    queryset = access.restrict(Opportunity.objects.all(), actor)
    if pipeline is not None:
        queryset = queryset.filter(pipeline=pipeline)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset


# Open: an open stage and not closed; won: a won stage, closed (the forecast's and KPIs' sets).
OPEN = Q(stage__kind=StageKind.OPEN, closed_at__isnull=True)
WON = Q(stage__kind=StageKind.WON, closed_at__isnull=False)
LOST = Q(stage__kind=StageKind.LOST, closed_at__isnull=False)


def open_opportunities(queryset: QuerySet, *, today: dt.date) -> QuerySet:
    """The open opportunities of `queryset`, annotated by `with_base_amounts`."""
    return with_base_amounts(queryset.filter(OPEN), today=today)


def forecast_window(
    queryset: QuerySet, *, start: dt.date, end: dt.date, today: dt.date
) -> QuerySet:
    """Open opportunities expected to close and won ones closed between `start` and `end`
    (inclusive, by `report_day`), annotated by `with_base_amounts`."""
    return (
        with_base_amounts(queryset, today=today)
        .filter(report_day__gte=start, report_day__lte=end)
        .filter(OPEN | WON)
    )


def closed_aggregates() -> dict:
    """Aggregates over closed opportunities: `won` and `lost` counts and `cycle`, the average
    duration created → closed of the won ones (the win rate and sales cycle definitions)."""
    return {
        "won": Count("id", filter=Q(stage__kind=StageKind.WON)),
        "lost": Count("id", filter=Q(stage__kind=StageKind.LOST)),
        "cycle": Avg(
            ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()),
            filter=WON,
        ),
    }


def slowest_stage(stays: Iterable[tuple[Stage, Decimal | None]]) -> Stage | None:
    """The bottleneck: the stage with the longest average stay (earlier stage on a tie)."""
    timed = [(days, stage) for stage, days in stays if days]
    best = max(timed, key=lambda item: (item[0], -item[1].position), default=None)
    return best[1] if best else None


def stage_stays(changes: QuerySet, now: dt.datetime) -> QuerySet:
    """Per `to_stage_id` of the given stage changes: `avg` length of the stay and `n` stays. A
    stay runs from a change into the stage to the opportunity's next change, or to `now`."""
    following = StageChange.objects.filter(opportunity=OuterRef("opportunity")).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    left_at = Coalesce(
        Subquery(following.order_by("at", "pk").values("at")[:1], output_field=DateTimeField()),
        Value(now, output_field=DateTimeField()),
    )
    return (
        changes.annotate(stay=ExpressionWrapper(left_at - F("at"), output_field=DurationField()))
        .order_by()
        .values("to_stage_id")
        .annotate(avg=Avg("stay"), n=Count("id"))
    )


# -- forecast ---------------------------------------------------------------------------------


@dataclass
class ForecastCell:
    weighted: Decimal = Decimal(0)
    open_amount: Decimal = Decimal(0)
    open_count: int = 0
    won_amount: Decimal = Decimal(0)
    won_count: int = 0

    def add(self, other: "ForecastCell") -> None:
        self.weighted += other.weighted
        self.open_amount += other.open_amount
        self.open_count += other.open_count
        self.won_amount += other.won_amount
        self.won_count += other.won_count

    def rounded(self) -> "ForecastCell":
        return ForecastCell(
            weighted=base_total(self.weighted),
            open_amount=base_total(self.open_amount),
            open_count=self.open_count,
            won_amount=base_total(self.won_amount),
            won_count=self.won_count,
        )


@dataclass
class Forecast:
    currency: str
    start: dt.date
    end: dt.date
    rows: list[tuple[dt.date, int | None, ForecastCell]]  # (month, owner id, cell)
    months: list[tuple[dt.date, ForecastCell]]
    owners: list[tuple[int | None, ForecastCell]]
    total: ForecastCell
    owner_names: dict[int, str] = field(default_factory=dict)


def default_forecast_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """Five months back to six months ahead, whole months: past wins beside the coming pipeline."""
    start = _add_months(today.replace(day=1), -5)
    end = _add_months(today.replace(day=1), 7) - dt.timedelta(days=1)
    return start, end


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def forecast(
    *,
    actor: User,
    start: dt.date,
    end: dt.date,
    pipeline: Pipeline | None = None,
    owner_id: int | None = None,
    today: dt.date | None = None,
) -> Forecast:
    """Open opportunities by expected close month and closed-won ones by close month, between
    `start` and `end` (inclusive); raises MissingExchangeRate when an amount cannot be
    converted."""
    today = today or timezone.localdate()
    visible = forecast_window(
        _visible(actor, pipeline, owner_id), start=start, end=end, today=today
    )
    require_rates(visible)
    open_rows = visible.filter(OPEN)
    won_rows = visible.filter(WON)
    cells: dict[tuple[dt.date, int | None], ForecastCell] = {}
    for row in _by_month_owner(open_rows, weighted=True):
        cell = cells.setdefault((_as_date(row["month"]), row["owner_id"]), ForecastCell())
        cell.weighted, cell.open_amount = row["weighted"] or 0, row["amount"] or 0
        cell.open_count = row["n"]
    for row in _by_month_owner(won_rows, weighted=False):
        cell = cells.setdefault((_as_date(row["month"]), row["owner_id"]), ForecastCell())
        cell.won_amount, cell.won_count = row["amount"] or 0, row["n"]
    return _assemble(start, end, cells)


def _by_month_owner(queryset: QuerySet, *, weighted: bool) -> QuerySet:
    sums = {"amount": Sum("base_amount"), "n": Count("id")}
    if weighted:
        sums["weighted"] = Sum("base_weighted")
    return (
        queryset.annotate(month=TruncMonth("report_day"))
        .order_by()
        .values("month", "owner_id")
        .annotate(**sums)
    )


def _assemble(
    start: dt.date, end: dt.date, cells: dict[tuple[dt.date, int | None], ForecastCell]
) -> Forecast:
    months: dict[dt.date, ForecastCell] = {}
    month = start.replace(day=1)
    while month <= end:
        months[month] = ForecastCell()
        month = _add_months(month, 1)
    owners: dict[int | None, ForecastCell] = {}
    total = ForecastCell()
    for (month, owner_id), cell in cells.items():
        months.setdefault(month, ForecastCell()).add(cell)
        owners.setdefault(owner_id, ForecastCell()).add(cell)
        total.add(cell)
    names = {
        user.pk: user.get_full_name() or user.username
        for user in User.objects.filter(pk__in=[pk for pk in owners if pk is not None])
    }

    def owner_key(item: tuple[int | None, ForecastCell]) -> tuple[int, str]:
        return (item[0] is None, names.get(item[0], "").casefold())

    return Forecast(
        currency=base_currency(),
        start=start,
        end=end,
        rows=[
            (month, owner_id, cell.rounded())
            for (month, owner_id), cell in sorted(
                cells.items(), key=lambda kv: (kv[0][0], names.get(kv[0][1], "").casefold())
            )
        ],
        months=[(month, cell.rounded()) for month, cell in sorted(months.items())],
        owners=[(pk, cell.rounded()) for pk, cell in sorted(owners.items(), key=owner_key)],
        total=total.rounded(),
        owner_names=names,
    )


# -- stats ------------------------------------------------------------------------------------


@dataclass
class StageStats:
    stage: Stage
    open_count: int = 0
    open_value: Decimal = Decimal(0)
    count_share: Decimal | None = None  # percent of the open opportunities
    value_share: Decimal | None = None  # percent of the open value
    reached: int | None = None  # funnel stages only
    conversion: Decimal | None = None  # percent reaching the next funnel stage
    avg_days: Decimal | None = None  # open stages only
    stays: int = 0


@dataclass
class PipelineStats:
    pipeline: Pipeline
    currency: str
    stages: list[StageStats]
    open_count: int
    open_value: Decimal
    won_count: int
    lost_count: int
    win_rate: Decimal | None
    avg_cycle_days: Decimal | None
    bottleneck: Stage | None
    now: dt.datetime


def pipeline_stats(
    *, actor: User, pipeline: Pipeline, now: dt.datetime | None = None
) -> PipelineStats:
    """Statistics of one pipeline over the opportunities the actor may read."""
    now = now or timezone.now()
    visible = _visible(actor, pipeline, None)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    result = {stage.pk: StageStats(stage=stage) for stage in stages}
    open_count, open_value = _open_shares(visible, result, today=timezone.localdate(now))
    _funnel(visible, stages, result)
    _stays(visible, result, now)
    closed = visible.aggregate(**closed_aggregates())
    bottleneck = slowest_stage(
        (s.stage, s.avg_days) for s in result.values() if s.stage.kind == StageKind.OPEN
    )
    return PipelineStats(
        pipeline=pipeline,
        currency=base_currency(),
        stages=[result[stage.pk] for stage in stages],
        open_count=open_count,
        open_value=open_value,
        won_count=closed["won"],
        lost_count=closed["lost"],
        win_rate=_percent(closed["won"], closed["won"] + closed["lost"]),
        avg_cycle_days=_days(closed["cycle"]),
        bottleneck=bottleneck,
        now=now,
    )


def _open_shares(
    visible: QuerySet, result: dict[int, StageStats], *, today: dt.date
) -> tuple[int, Decimal]:
    open_rows = open_opportunities(visible, today=today)
    require_rates(open_rows)
    rows = list(
        open_rows.order_by().values("stage_id").annotate(n=Count("id"), value=Sum("base_amount"))
    )
    count = sum(row["n"] for row in rows)
    value = base_total(sum((row["value"] or Decimal(0) for row in rows), Decimal(0)))
    for row in rows:
        stats = result[row["stage_id"]]
        stats.open_count, stats.open_value = row["n"], base_total(row["value"])
        stats.count_share = _percent(row["n"], count)
        stats.value_share = _percent(stats.open_value, value)
    for stats in result.values():
        if stats.stage.kind == StageKind.OPEN and stats.open_count == 0 and count:
            stats.count_share = Decimal("0.00")
            stats.value_share = Decimal("0.00") if value else None
    return count, value


def funnel_stages(stages: list[Stage]) -> list[Stage]:
    """The open stages in order, then the first won stage."""
    funnel = [stage for stage in stages if stage.kind == StageKind.OPEN]
    won = next((stage for stage in stages if stage.kind == StageKind.WON), None)
    return funnel + ([won] if won else [])


def _funnel(visible: QuerySet, stages: list[Stage], result: dict[int, StageStats]) -> None:
    """reached(k): opportunities with a stage change into funnel stage k or any later one;
    conversion(k) = reached(k + 1) / reached(k)."""
    funnel = funnel_stages(stages)
    if not funnel:
        return
    ids = [stage.pk for stage in funnel]
    counts = StageChange.objects.filter(opportunity__in=visible.values("pk")).aggregate(
        **{
            f"r{k}": Count("opportunity", distinct=True, filter=Q(to_stage_id__in=ids[k:]))
            for k in range(len(ids))
        }
    )
    for k, stage in enumerate(funnel):
        stats = result[stage.pk]
        stats.reached = counts[f"r{k}"]
        if k + 1 < len(funnel):
            stats.conversion = _percent(counts[f"r{k + 1}"], stats.reached)


def _stays(visible: QuerySet, result: dict[int, StageStats], now: dt.datetime) -> None:
    """Average length of a stay in each open stage: from a stage change into it to the
    opportunity's next stage change, or to `now` when there is none yet."""
    changes = StageChange.objects.filter(
        opportunity__in=visible.values("pk"), to_stage__kind=StageKind.OPEN
    )
    rows = stage_stays(changes, now)
    for row in rows:
        stats = result.get(row["to_stage_id"])
        if stats is not None:
            stats.avg_days, stats.stays = _days(row["avg"]), row["n"]
