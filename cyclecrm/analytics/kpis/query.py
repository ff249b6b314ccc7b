"""The question a KPI answers: a period, an optional grouping and the dashboard filters, parsed
once from query parameters (API and web alike) with field-specific errors.

Periods are whole days in UTC: `start` and `end` are inclusive dates, so a record counts when
`since <= its time < until`. The previous period (for comparisons) is the same number of days
right before `start`.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from cyclecrm.analytics.kpis.definitions import FILTERS, GRAINS, Metric
from cyclecrm.core.errors import ValidationFailed

DEFAULT_DAYS = 30
MAX_DAYS = 3660
UTC = dt.UTC


@dataclass(frozen=True)
class KpiQuery:
    start: dt.date
    end: dt.date
    group_by: str | None = None
    split_by: str | None = None
    team: int | None = None
    owner: int | None = None
    pipeline: int | None = None
    campaign: int | None = None
    segment: int | None = None

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=UTC)

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str | None:
        return self.group_by if self.group_by in GRAINS else None

    @property
    def dimension(self) -> str | None:
        return self.group_by if self.group_by and self.group_by not in GRAINS else None

    def previous(self) -> "KpiQuery":
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    def filters_used(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FILTERS if getattr(self, name) is not None}

    def fingerprint(self) -> str:
        data = {
            k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(self).items()
        }
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _date(params: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> dt.date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        errors[name] = [f"'{raw}' is not a date (YYYY-MM-DD)."]
        return None


def _id(params: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors[name] = [f"'{raw}' is not a record id."]
        return None
    if not 0 < value < 2**63:
        errors[name] = [f"'{raw}' is not a record id."]
        return None
    return value


def parse_query(params: Mapping[str, Any], metric: Metric, *, today: dt.date) -> KpiQuery:
    """A KpiQuery from `from`, `to`, `group_by`, `split_by` and the filter parameters."""
    errors: dict[str, list[str]] = {}
    end = _date(params, "to", errors) or today
    start = _date(params, "from", errors) or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if not errors and start > end:
        errors["from"] = ["The period starts after it ends."]
    elif not errors and (end - start).days + 1 > MAX_DAYS:
        errors["from"] = [f"A period is at most {MAX_DAYS} days."]
    group_by = params.get("group_by") or None
    if group_by and not metric.accepts_group(group_by):
        allowed = ([*GRAINS] if metric.grains else []) + list(metric.dimensions)
        errors["group_by"] = [
            f"{metric.name} cannot be grouped by '{group_by}'; use one of: "
            + (", ".join(allowed) or "nothing")
            + "."
        ]
    split_by = params.get("split_by") or None
    if split_by and (split_by not in metric.splits or group_by not in GRAINS):
        errors["split_by"] = [
            f"{metric.name} splits a day/week/month series by: "
            + (", ".join(metric.splits) or "nothing")
            + "."
        ]
    ids = {name: _id(params, name, errors) for name in FILTERS}
    if errors:
        raise ValidationFailed("The KPI query is not valid.", fields=errors)
    return KpiQuery(start=start, end=end, group_by=group_by, split_by=split_by, **ids)
