"""The matrix's probes of KPI figures, their drill-downs and the dashboard panels.

A KPI is computed over the records the reader may read; its groups carry labels (a campaign,
a stage, an owner...) and a `drill_url`, the record list behind the figure. A rep must not see
another's records through any of them, even when asking for the other's owner, team,
campaign or pipeline id. Each metric is asked once with those filters set to rows the role may
not reach, and once per categorical grouping; every drill-down URL of the answers (and of the
dashboard panels) is then opened as a web page and scanned like any list.
"""

import re
from html import unescape
from typing import Any

from django.test import Client

from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.analytics.kpis.engine import kpi_definitions
from cyclecrm.identity.models import User
from tests.security.matrix import DataSet, ghost_id, scan

KPI_PATH = "/api/v1/analytics/kpis/{name}"
_HREF = re.compile(r'href="(/[^"#]*\?[^"#]*)"')


def _hidden_filters(data: DataSet, other: User) -> dict[str, Any]:
    """KPI filters naming what the role may not reach: the other user, their team, and the
    unreadable campaign and pipeline rows (when the role may not read them)."""
    unreadable = {row.rtype.key: row.obj.pk for row in data.rows if not row.readable}
    filters = {
        "owner": other.pk,
        "team": data.other_team.pk if data.other_team else None,
        "campaign": unreadable.get("campaign"),
        "pipeline": unreadable.get("pipeline"),
    }
    return {name: value for name, value in filters.items() if value is not None}


def _drill_urls(body: Any) -> set[str]:
    """Every `drill_url` in a KPI answer (the value's and each group's)."""
    if not isinstance(body, dict):
        return set()
    urls = {body["drill_url"]} if body.get("drill_url") else set()
    for group in body.get("groups") or []:
        if group.get("drill_url"):
            urls.add(group["drill_url"])
    return urls


def probe_kpis(data: DataSet, api: Client, web: Client, other: User) -> None:
    """Figures, groups and drill-downs of every KPI; dashboards with the hidden filters."""
    hidden = _hidden_filters(data, other)
    drills: set[str] = set()
    for metric in kpi_definitions():
        path = KPI_PATH.format(name=metric.name)
        filters = {name: value for name, value in hidden.items() if name in metric.filters}
        queries = [filters] + [{"group_by": dim} for dim in metric.dimensions]
        for query in queries:
            response = api.get(path, query)
            scan(data, f"GET {path} {query}", response)
            if response.status_code == 200:
                drills |= _drill_urls(response.json())
        if "segment" in metric.filters:
            _probe_segment_filter(data, api, path)
    for dashboard in DASHBOARDS:
        url = f"/analytics/{dashboard.slug}/"
        response = web.get(url, hidden)
        scan(data, f"GET {url} {hidden}", response)
        if response.status_code == 200:
            page = response.content.decode(errors="replace")
            drills |= {unescape(href) for href in _HREF.findall(page)}
    for url in sorted(drills):
        if not url.startswith("/analytics/"):
            scan(data, f"drill-down GET {url}", web.get(url))


def _probe_segment_filter(data: DataSet, api: Client, path: str) -> None:
    """A KPI filtered by a segment the role may not read answers like a missing segment."""
    for row in data.rows_of("segment"):
        if row.readable:
            continue
        data.cases += 1
        status = api.get(path, {"segment": row.obj.pk}).status_code
        ghost = api.get(path, {"segment": ghost_id(row)}).status_code
        if status != ghost:
            data.fail(f"GET {path}?segment={row.obj.pk} [segment unreadable]: {status}, {ghost}")
