"""A dashboard panel ready to render: its evaluation (through `kpi_evaluate`, like the API),
the chart's data for charts.js, the numbers as a table, and the download and pin links.

Everything is computed server-side in the page's request, so a dashboard's queries and time
are those of its panels; a panel whose metric is not registered is skipped.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from cyclecrm.analytics.dashboards import Panel
from cyclecrm.analytics.forms import DEFAULT_RANGE, DashboardFilters, read_filters
from cyclecrm.analytics.kpis.definitions import FILTERS, Unit, metric_get
from cyclecrm.analytics.kpis.engine import Evaluation, kpi_evaluate
from cyclecrm.analytics.kpis.present import display, evaluation_table, number
from cyclecrm.analytics.models import PinnedKpi
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity.models import User

CATEGORY_CHARTS = ("bar", "hbar", "funnel")
SERIES_CHARTS = ("line", "stacked_area")
COMPARED_CHARTS = ("number", "gauge")


@dataclass
class PanelView:
    panel: Panel
    evaluation: Evaluation
    title: str
    dom_id: str
    chart: dict[str, Any] | None
    headers: list[str]
    rows: list[list[Any]]
    params: dict[str, str] = field(default_factory=dict)
    pin_id: int | None = None

    @property
    def metric(self):
        return self.evaluation.metric

    @property
    def result(self):
        return self.evaluation.result

    @property
    def display(self) -> str:
        return display(self.result.value, self.metric.unit)

    @property
    def previous_display(self) -> str | None:
        previous = self.evaluation.previous
        return display(previous.value, self.metric.unit) if previous is not None else None

    @property
    def previous_period(self) -> tuple[dt.date, dt.date]:
        query = self.evaluation.query.previous()
        return query.start, query.end

    @property
    def change(self) -> float | None:
        change = self.evaluation.change
        return round(float(change), 1) if change is not None else None

    @property
    def change_is_good(self) -> bool | None:
        change = self.evaluation.change
        if change is None or change == 0:
            return None
        return (change > 0) == self.metric.higher_is_better

    @property
    def empty(self) -> bool:
        """Nothing to draw: the metric's no_data sentence is shown instead."""
        if self.panel.chart in CATEGORY_CHARTS and self.result.groups is not None:
            return not self.result.groups
        if self.panel.chart == "heatmap":
            return not (self.chart or {}).get("rows")
        return self.result.value is None and not self.result.series

    @property
    def no_data(self) -> str:
        return self.result.no_data or "No data in the period."

    @property
    def querystring(self) -> str:
        return urlencode({k: v for k, v in self.params.items() if v})

    def download_url(self, fmt: str) -> str:
        url = reverse("kpi_download", kwargs={"name": self.metric.name, "fmt": fmt})
        return f"{url}?{self.querystring}"

    @property
    def csv_url(self) -> str:
        return self.download_url("csv")

    @property
    def xlsx_url(self) -> str:
        return self.download_url("xlsx")

    @property
    def chart_id(self) -> str:
        return f"{self.dom_id}-data"

    @property
    def pin_fields(self) -> dict[str, str]:
        """The pin form's fields: this panel's settings (a custom range pins the default)."""
        preset = self.params.get("range") or DEFAULT_RANGE
        fields = {
            "chart": self.panel.chart,
            "group_by": self.panel.group_by or "",
            "split_by": self.panel.split_by or "",
            "range": DEFAULT_RANGE if preset == "custom" else preset,
            "compare": self.params.get("compare", ""),
        }
        fields.update({name: self.params.get(name, "") for name in FILTERS})
        return {k: v for k, v in fields.items() if v}

    @property
    def table_rows(self) -> list[dict[str, Any]]:
        """Table rows with each group's drill-down link (keyboard access to the drill-down)."""
        groups = self.result.groups if self.result.series is None else None
        links = [g.drill_url for g in groups] if groups is not None else []
        return [
            {"cells": [_cell(v) for v in row], "drill_url": links[i] if i < len(links) else None}
            for i, row in enumerate(self.rows)
        ]


def _cell(value: Any) -> Any:
    return "" if value is None else value


def panel_params(panel: Panel, filters: DashboardFilters) -> dict[str, str]:
    """The panel's KPI parameters: the filter bar plus its grouping."""
    params = dict(filters.params)
    if panel.group_by:
        params["group_by"] = panel.group_by
    if panel.split_by:
        params["split_by"] = panel.split_by
    return params


def panel_view(
    *, actor: User, panel: Panel, filters: DashboardFilters, dom_id: str
) -> PanelView | None:
    """The panel evaluated for `actor`, or None when its metric is not registered.

    Raises ValidationFailed when the filters are invalid (the same for every panel)."""
    if metric_get(panel.metric) is None:
        return None
    params = panel_params(panel, filters)
    ev = kpi_evaluate(
        actor=actor,
        name=panel.metric,
        params=params,
        compare=filters.compare and panel.chart in COMPARED_CHARTS,
    )
    headers, rows = evaluation_table(ev)
    title = panel.title or ev.metric.label
    return PanelView(
        panel=panel,
        evaluation=ev,
        title=title,
        dom_id=dom_id,
        chart=chart_data(ev, panel.chart, title),
        headers=headers,
        rows=rows,
        params={**params, "range": filters.range, "compare": "1" if filters.compare else ""},
    )


def chart_data(ev: Evaluation, chart: str, title: str) -> dict[str, Any] | None:
    """What charts.js draws (None for a number panel)."""
    if chart in ("number", "table"):
        return None
    result, unit = ev.result, ev.metric.unit
    data: dict[str, Any] = {"type": chart, "title": title, "unit": str(unit)}
    if chart == "gauge":
        value = result.extra.get("attainment", result.value)
        data.update(value=number(value), display=display(value, Unit.PERCENT))
        return data
    if chart == "heatmap":
        data.update(heatmap(result.extra.get("matrix")))
        return data
    if result.groups is not None:
        data["labels"] = [g.label for g in result.groups]
        data["datasets"] = [{"label": title, "data": [number(g.value) for g in result.groups]}]
        data["drill"] = [g.drill_url for g in result.groups]
        data["keys"] = [g.key for g in result.groups]
    elif result.series is not None:
        data["labels"] = [p.period.isoformat() for p in result.series]
        if result.parts:
            data["datasets"] = [
                {"label": label, "data": [number((p.parts or {}).get(key)) for p in result.series]}
                for key, label in result.parts.items()
            ]
        else:
            data["datasets"] = [{"label": title, "data": [number(p.value) for p in result.series]}]
        data["drill"] = []
    else:
        data.update(labels=[title], datasets=[{"label": title, "data": [number(result.value)]}])
        data["drill"] = [result.drill_url]
    return data


def heatmap(matrix: Any) -> dict[str, Any]:
    """A cohort matrix as rows of cells: accepts {cohorts, offsets, cells: [{cohort, offset,
    rate}]} (the retention_cohorts shape), a list of {cohort, size, rates} rows or {cohorts,
    offsets, rates|values} (rates in percent, None where the offset lies ahead)."""
    if isinstance(matrix, dict) and "cells" in matrix:
        return _heatmap_from_cells(matrix)
    if isinstance(matrix, dict):
        cohorts = list(matrix.get("cohorts") or [])
        values = matrix.get("rates") or matrix.get("values") or []
        sizes = list(matrix.get("sizes") or [None] * len(cohorts))
        rows = [
            {"cohort": str(c), "size": s, "rates": list(v)}
            for c, s, v in zip(cohorts, sizes, values, strict=False)
        ]
    elif isinstance(matrix, list):
        rows = [
            {
                "cohort": str(row.get("cohort")),
                "size": row.get("size"),
                "rates": list(row.get("rates") or []),
            }
            for row in matrix
            if isinstance(row, dict)
        ]
    else:
        rows = []
    width = max((len(row["rates"]) for row in rows), default=0)
    for row in rows:
        row["rates"] = [number(v) for v in row["rates"]]
    return {"rows": rows, "offsets": list(range(width))}


def _heatmap_from_cells(matrix: dict[str, Any]) -> dict[str, Any]:
    offsets = list(matrix.get("offsets") or [])
    rates = {(cell["cohort"], cell["offset"]): cell["rate"] for cell in matrix.get("cells") or []}
    rows = [
        {"cohort": str(c), "size": None, "rates": [number(rates.get((c, n))) for n in offsets]}
        for c in matrix.get("cohorts") or []
    ]
    return {"rows": rows, "offsets": offsets}


@dataclass
class PinError:
    pin: PinnedKpi
    message: str


def pinned_views(*, actor: User, pins: list[PinnedKpi]) -> list[PanelView | PinError]:
    """The actor's pins as panels, each over its own range preset and filters (a pin whose
    metric is gone is skipped; one whose filters no longer hold shows why)."""
    today = timezone.now().date()
    views: list[PanelView | PinError] = []
    for pin in pins:
        options = pin.options or {}
        panel = Panel(
            pin.metric,
            options.get("chart") or "number",
            group_by=options.get("group_by"),
            split_by=options.get("split_by"),
            width=6 if options.get("chart") not in (None, "number", "gauge") else 3,
        )
        filters = read_filters(options, today=today)
        try:
            view = panel_view(actor=actor, panel=panel, filters=filters, dom_id=f"pin-{pin.pk}")
        except ValidationFailed as exc:
            views.append(PinError(pin=pin, message=_messages(exc)))
            continue
        if view is not None:
            view.pin_id = pin.pk
            views.append(view)
    return views


def _messages(exc: ValidationFailed) -> str:
    return " ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
