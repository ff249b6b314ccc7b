"""The measuring half of the `kpis` benchmark: every dashboard page rendered through Django's
test client as an admin and as a sales rep, cold (cache cleared) and warm, over the default
30 days and over 365 days, plus every registered KPI computed alone (cold).

Times are wall-clock seconds of the whole request (middleware, permission checks, every panel,
the template), with DEBUG off as in production. Query counts come from an execute wrapper
around one cold and one warm render (the DEBUG query log caps at 9,000 entries, so it cannot count).
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.analytics.bench import BENCH_ADMIN, BENCH_REP
from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.analytics.kpis.engine import kpi_definitions, kpi_evaluate
from cyclecrm.catalog.models import Order
from cyclecrm.contacts.models import Contact
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Opportunity
from cyclecrm.support.models import Case

Report = Callable[[str], None]
SIZED = (Contact, Interaction, Opportunity, Order, Lead, Case)


def ranges(today: dt.date) -> dict[str, dict[str, str]]:
    """The filter sets measured: the page default and the last 365 days."""
    return {
        "default (30 days)": {},
        "365 days": {
            "from": (today - dt.timedelta(days=364)).isoformat(),
            "to": today.isoformat(),
        },
    }


def measure(*, runs: int = 5, report: Report = print) -> dict[str, Any]:
    """Dashboards (per user, range, cold/warm) and single KPIs; returns the results section."""
    settings.DEBUG = False
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    users = {
        "admin": User.objects.get(username=BENCH_ADMIN),
        "sales_rep": User.objects.get(username=BENCH_REP),
    }
    today = timezone.now().date()
    pages = []
    for dashboard in DASHBOARDS:
        for role, user in users.items():
            for label, params in ranges(today).items():
                row = _page(dashboard.slug, user, params, runs)
                pages.append({"dashboard": dashboard.slug, "user": role, "range": label} | row)
                report(
                    f"{dashboard.slug:<10} {role:<9} {label:<17} cold median "
                    f"{row['cold']['median']:.3f} s warm {row['warm']['median']:.3f} s "
                    f"{row['queries_cold']} queries"
                )
    return {
        "runs": runs,
        "rows": _rows(),
        "pages": pages,
        "kpis": _kpis(users["admin"], today, report),
    }


def _rows() -> dict[str, int]:
    """The size of the data measured (a reused data set may not be the default size)."""
    return {model._meta.label: model.objects.count() for model in SIZED}


def _page(slug: str, user: User, params: dict[str, str], runs: int) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    url = reverse("dashboard", kwargs={"slug": slug})

    def render() -> float:
        started = time.perf_counter()
        response = client.get(url, params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return elapsed

    cold = []
    for _ in range(runs):
        cache.clear()
        cold.append(render())
    cache.clear()
    with counting() as cold_queries:
        render()
    with counting() as warm_queries:
        render()
    warm = [render() for _ in range(runs)]
    return {
        "cold": _summary(cold),
        "warm": _summary(warm),
        "queries_cold": len(cold_queries),
        "queries_warm": len(warm_queries),
    }


def _kpis(user: User, today: dt.date, report: Report) -> list[dict[str, Any]]:
    """Each registered metric alone, cold, headline value over 30 and 365 days."""
    rows = []
    for metric in kpi_definitions():
        row: dict[str, Any] = {"metric": metric.name, "area": str(metric.area)}
        for label, params in ranges(today).items():
            cache.clear()
            started = time.perf_counter()
            with counting() as queries:
                kpi_evaluate(actor=user, name=metric.name, params=params, compare=True)
            row[label] = {
                "seconds": round(time.perf_counter() - started, 4),
                "queries": len(queries),
            }
        rows.append(row)
        report(f"kpi {metric.name:<30} {row['365 days']['seconds']:.3f} s (365 days)")
    rows.sort(key=lambda item: -item["365 days"]["seconds"])
    return rows


@contextmanager
def counting() -> Iterator[list[str]]:
    """Collects the SQL of every query run inside (len() is the count)."""
    executed: list[str] = []

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield executed


def _summary(times: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(times), 4), "max": round(max(times), 4)}
