"""The dashboard filter bar: date range presets, comparison and the record filters, read from
GET parameters (so a dashboard is bookmarkable) into the parameters `kpi_evaluate` takes.

Only the presets are resolved here; dates and ids are validated once, by `kpis.query`, so the
dashboards report exactly the field errors the API does.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cyclecrm.analytics.kpis.definitions import FILTERS

RANGES: dict[str, str] = {
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "year_to_date": "Year to date",
    "custom": "Custom",
}
DEFAULT_RANGE = "last_30_days"


def range_dates(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive first and last day of a preset, ending today (or last month's end)."""
    if preset.startswith("last_") and preset.endswith("_days"):
        days = int(preset.split("_")[1])
        return today - dt.timedelta(days=days - 1), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if preset == "this_quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "year_to_date":
        return today.replace(month=1, day=1), today
    raise ValueError(f"Unknown range preset {preset}.")


@dataclass
class DashboardFilters:
    """The filter bar's state: `params` go to `kpi_evaluate` (from, to and the filter ids)."""

    range: str
    compare: bool
    params: dict[str, str] = field(default_factory=dict)

    def querystring(self, **extra: Any) -> str:
        """The filter bar as GET parameters (for links, downloads and pins)."""
        values: dict[str, Any] = {"range": self.range, **self.params}
        if self.compare:
            values["compare"] = "1"
        values.update(extra)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def value(self, name: str) -> str:
        return self.params.get(name, "")


def read_filters(data: Mapping[str, Any], *, today: dt.date) -> DashboardFilters:
    """The filter bar from GET parameters; an unknown preset with dates means custom."""
    preset = str(data.get("range") or "")
    if preset not in RANGES:
        preset = "custom" if data.get("from") or data.get("to") else DEFAULT_RANGE
    params: dict[str, str] = {}
    if preset == "custom":
        params.update({k: str(data.get(k) or "").strip() for k in ("from", "to")})
    else:
        start, end = range_dates(preset, today)
        params.update({"from": start.isoformat(), "to": end.isoformat()})
    for name in FILTERS:
        value = str(data.get(name) or "").strip()
        if value:
            params[name] = value
    compare = str(data.get("compare") or "") in ("1", "on", "true")
    return DashboardFilters(range=preset, compare=compare, params=params)
