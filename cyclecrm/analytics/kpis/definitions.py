"""What a KPI is: its definition (`Metric`) and what computing it returns (`Result`).

Each metric is defined once, by the `metric` decorator on the function that computes it; the
catalog (`kpis.catalog`) imports the area modules so every definition is registered at start-up.
The API lists these definitions, the dashboards draw them, and docs/kpis.md spells out the same
formulas with worked examples.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cyclecrm.analytics.kpis.query import KpiQuery
    from cyclecrm.identity.models import User

Number = Decimal | int | float


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"  # 0-100, two decimals
    MONEY = "money"  # base currency, two decimals
    DAYS = "days"
    HOURS = "hours"
    SCORE = "score"  # NPS -100..100, CSAT 1..5 ...
    RATIO = "ratio"  # e.g. CLTV:CAC 3.2


class Area(StrEnum):
    ACQUISITION = "acquisition"
    SALES = "sales"
    SERVICE = "service"
    RETENTION = "retention"


# Filters a metric may accept; dashboards pass all of them, a metric reports the ones it ignored.
FILTERS = ("team", "owner", "pipeline", "campaign", "segment")
GRAINS = ("day", "week", "month")
CHARTS = ("number", "line", "bar", "hbar", "stacked_area", "funnel", "heatmap", "gauge", "table")


@dataclass(frozen=True)
class Point:
    """One period of a series (`period` is the first day of the day, week or month)."""

    period: dt.date
    value: Number | None
    # With a split (`split_by`), the value of each part, keyed like `Group.key`.
    parts: dict[str, Number | None] | None = None


@dataclass(frozen=True)
class Group:
    """One category of a grouped metric (a lead source, a stage, a funnel step...)."""

    key: str
    label: str
    value: Number | None
    drill_url: str | None = None
    numerator: Number | None = None
    denominator: Number | None = None


@dataclass
class Result:
    value: Number | None
    # Why there is no value (e.g. "No leads were created in the period."), shown instead of 0.
    no_data: str | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    series: list[Point] | None = None
    groups: list[Group] | None = None
    # Labels of the parts of a split series, in order: {key: label}.
    parts: dict[str, str] | None = None
    # The record list behind the value, filtered like the metric.
    drill_url: str | None = None
    # Metric-specific structure (a cohort matrix, the bottleneck stage, quota details...).
    extra: dict[str, Any] = field(default_factory=dict)


Compute = Callable[["User", "KpiQuery"], Result]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    area: Area
    unit: Unit
    description: str
    formula: str
    period: str  # which records the period selects, e.g. "leads created in the period"
    compute: Compute
    filters: frozenset[str] = frozenset()
    dimensions: tuple[str, ...] = ()  # categorical group_by values
    grains: bool = True  # day / week / month series
    splits: tuple[str, ...] = ()  # split_by values allowed together with a grain
    # Model labels ("leads.Lead") whose changes invalidate cached values.
    sources: tuple[str, ...] = ()
    higher_is_better: bool = True
    chart: str = "line"
    example: str = ""

    def accepts_group(self, group_by: str | None) -> bool:
        if group_by is None:
            return True
        return (group_by in GRAINS and self.grains) or group_by in self.dimensions


_metrics: dict[str, Metric] = {}


def metric(**definition: Any) -> Callable[[Compute], Compute]:
    """Register the decorated function as the computation of one metric."""

    def register(compute: Compute) -> Compute:
        item = Metric(compute=compute, **definition)
        if item.name in _metrics:
            raise ValueError(f"The metric {item.name} is defined twice.")
        unknown = set(item.filters) - set(FILTERS)
        if unknown or item.chart not in CHARTS:
            raise ValueError(f"{item.name}: unknown filters {unknown} or chart {item.chart}.")
        _metrics[item.name] = item
        return compute

    return register


def metrics() -> list[Metric]:
    return list(_metrics.values())


def metric_get(name: str) -> Metric | None:
    return _metrics.get(name)
