"""Evaluating a KPI: parse the query, compute it (cached) for the acting user, and set it beside
the previous period. The API, the dashboards, the downloads and the pinned home panels all call
`kpi_evaluate`, so they cannot disagree."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cyclecrm.analytics.kpis import cache
from cyclecrm.analytics.kpis.definitions import Metric, Result, metric_get, metrics
from cyclecrm.analytics.kpis.query import KpiQuery, parse_query
from cyclecrm.core.errors import NotFound
from cyclecrm.identity.models import User


@dataclass
class Evaluation:
    metric: Metric
    query: KpiQuery
    result: Result
    previous: Result | None
    ignored_filters: list[str]

    @property
    def change(self) -> Decimal | None:
        """Relative change against the previous period in percent (None without both values)."""
        if self.previous is None:
            return None
        now, before = self.result.value, self.previous.value
        if now is None or before is None or not before:
            return None
        return (Decimal(now) - Decimal(before)) * 100 / abs(Decimal(before))


def kpi_definitions() -> list[Metric]:
    return sorted(metrics(), key=lambda item: (item.area, item.name))


def kpi_definition(name: str) -> Metric:
    item = metric_get(name)
    if item is None:
        raise NotFound(f"There is no KPI named '{name}'.")
    return item


def kpi_compute(*, actor: User, metric: Metric, query: KpiQuery) -> Result:
    """One metric for one query, from the cache when nothing it reads changed."""
    key = f"kpi:{metric.name}:{actor.pk}:{query.fingerprint()}:{cache.versions(metric.sources)}"
    return cache.cached(key, lambda: metric.compute(actor, query))


def kpi_evaluate(
    *,
    actor: User,
    name: str,
    params: Mapping[str, Any],
    compare: bool = False,
    today: dt.date | None = None,
) -> Evaluation:
    metric = kpi_definition(name)
    query = parse_query(params, metric, today=today or timezone.now().date())
    result = kpi_compute(actor=actor, metric=metric, query=query)
    previous = None
    if compare:
        previous = kpi_compute(actor=actor, metric=metric, query=_plain(query.previous()))
    ignored = sorted(set(query.filters_used()) - set(metric.filters))
    return Evaluation(
        metric=metric, query=query, result=result, previous=previous, ignored_filters=ignored
    )


def _plain(query: KpiQuery) -> KpiQuery:
    """The previous period's headline value only (no series or groups needed)."""
    return KpiQuery(**{**asdict(query), "group_by": None, "split_by": None})
