"""Chart types whose metrics other modules define (funnel, gauge, heatmap), drawn from
throwaway metrics of the documented shape."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from cyclecrm.analytics.kpis.definitions import Group, Result
from cyclecrm.analytics.panels import heatmap
from cyclecrm.analytics.tests.dashboard_helpers import temporary_metric

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def chart_json(html: str, chart_id: str) -> dict:
    pattern = rf'<script id="{chart_id}" type="application/json">(.*?)</script>'
    match = re.search(pattern, html, re.S)
    assert match, f"no chart data {chart_id}"
    return json.loads(match.group(1))


def test_funnel_steps_drill_down_to_leads(web_client, admin):
    steps = [("leads", 10), ("mql", 6), ("sql", 3), ("opportunity", 2), ("won", 1)]
    funnel = Result(
        value=Decimal("10.00"),
        groups=[
            Group(key=k, label=k.upper(), value=n, drill_url=f"/leads/?stage={k}") for k, n in steps
        ],
    )
    with temporary_metric("lead_funnel", funnel, dimensions=("step",), chart="funnel"):
        html = web_client(admin).get("/analytics/overview/", MARCH).content.decode()
    data = chart_json(html, "overview-4-data")
    assert data["type"] == "funnel" and data["datasets"][0]["data"] == [10, 6, 3, 2, 1]
    assert data["drill"][0] == "/leads/?stage=leads"
    assert '<a href="/leads/?stage=mql">MQL</a>' in html


def test_gauge_uses_attainment_when_given(web_client, admin):
    quota = Result(value=Decimal("45000.00"), extra={"attainment": Decimal("75.50")})
    with temporary_metric("forecast_vs_quota", quota, grains=False):
        html = web_client(admin).get("/analytics/sales/", MARCH).content.decode()
    data = chart_json(html, "sales-7-data")
    assert data == {
        "type": "gauge",
        "title": "Forecast vs quota",
        "unit": "percent",
        "value": 75.5,
        "display": "75.50 %",
    }


def test_gauge_without_value_shows_no_data(web_client, admin):
    empty = Result(value=None, no_data="No cases were due in the period.")
    with temporary_metric("sla_compliance", empty):
        html = web_client(admin).get("/analytics/service/", MARCH).content.decode()
    panel = html.split('data-testid="panel-sla_compliance-gauge"')[1].split("</section>")[0]
    assert "No cases were due in the period." in panel and "<canvas" not in panel


def test_heatmap_rows_from_cohort_matrix(web_client, admin):
    matrix = [
        {"cohort": "2026-01", "size": 10, "rates": [Decimal(100), Decimal(40), Decimal(20)]},
        {"cohort": "2026-02", "size": 5, "rates": [Decimal(100), Decimal(60)]},
    ]
    result = Result(value=None, extra={"matrix": matrix}, no_data=None)
    with temporary_metric("retention_cohorts", result, grains=False, chart="heatmap"):
        html = web_client(admin).get("/analytics/retention/", MARCH).content.decode()
    data = chart_json(html, "retention-4-data")
    assert data["offsets"] == [0, 1, 2]
    assert data["rows"][1] == {"cohort": "2026-02", "size": 5, "rates": [100.0, 60.0]}


def test_heatmap_accepts_the_columnar_shape():
    matrix = {"cohorts": [dt.date(2026, 1, 1)], "offsets": [0, 1], "rates": [[100, None]]}
    assert heatmap(matrix) == {
        "rows": [{"cohort": "2026-01-01", "size": None, "rates": [100, None]}],
        "offsets": [0, 1],
    }
    assert heatmap(None) == {"rows": [], "offsets": []}


def test_temporary_metric_is_removed_after_the_block(web_client, admin):
    from cyclecrm.analytics.kpis.definitions import metric_get

    with temporary_metric("nps", Result(value=12)):
        assert metric_get("nps") is not None
    assert metric_get("nps") is None or metric_get("nps").description != "A test metric."
