"""The dashboard pages: every page for every built-in role, the filter bar (presets, htmx body,
field errors), number panels with comparison, charts with drill-down links and tables."""

import datetime as dt
import json
import re

import pytest

from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.analytics.forms import range_dates, read_filters
from cyclecrm.analytics.tests.kpi_helpers import at, backdate
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
ROLES = ("admin", "manager", "rep_a", "marketer", "support_agent")


@pytest.fixture
def leads(rep_a, rep_b):
    for owner, source, day in [
        (rep_a, "web_form", "2026-03-02"),
        (rep_a, "web_form", "2026-03-10"),
        (rep_a, "event", "2026-03-31"),
        (rep_b, "web_form", "2026-03-15"),
        (rep_b, "referral", "2026-02-20"),  # the previous period (30 Jan - 28 Feb)
    ]:
        backdate(make_lead(owner=owner, source=source), created_at=at(day))


def chart_json(html: str, chart_id: str) -> dict:
    pattern = rf'<script id="{chart_id}" type="application/json">(.*?)</script>'
    match = re.search(pattern, html, re.S)
    assert match, f"no chart data {chart_id}"
    return json.loads(match.group(1))


@pytest.mark.parametrize("slug", [d.slug for d in DASHBOARDS])
@pytest.mark.parametrize("role", ROLES)
def test_each_dashboard_renders_for_each_role(request, web_client, slug, role, leads):
    user = request.getfixturevalue(role)
    response = web_client(user).get(f"/analytics/{slug}/", MARCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="dashboard-filters"' in html and "analytics/charts.js" in html
    if slug in ("overview", "marketing"):
        assert 'data-testid="panel-new_leads-' in html


def test_pages_need_login(client):
    response = client.get("/analytics/marketing/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_dashboard_is_404(web_client, admin):
    assert web_client(admin).get("/analytics/nope/").status_code == 404


def test_rep_counts_only_own_leads(web_client, admin, rep_a, leads):
    # admin: 4 leads in March (2 + 1 of rep_a's web/event, 1 of rep_b); rep_a: own 3.
    for user, expected in ((admin, "4"), (rep_a, "3")):
        html = web_client(user).get("/analytics/overview/", MARCH).content.decode()
        panel = html.split('data-testid="panel-new_leads-number"')[1]
        assert f'data-testid="value">{expected}<' in panel


def test_htmx_request_renders_only_the_body(web_client, admin, leads):
    response = web_client(admin).get("/analytics/marketing/", MARCH, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="dashboard-filters"' in html
    assert 'data-testid="dashboard-panels"' in html


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from", "The period starts after it ends."),
        ({"from": "soon"}, "from", "'soon' is not a date"),
        ({"range": "last_7_days", "team": "x"}, "team", "'x' is not a record id."),
    ],
)
def test_invalid_filters_show_the_field_error(web_client, admin, params, field, message):
    response = web_client(admin).get("/analytics/marketing/", params)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="dashboard-errors"' in html
    assert f"<strong>{field}</strong>" in html and message in html.replace("&#x27;", "'")


def test_range_presets():
    today = dt.date(2026, 5, 14)
    assert range_dates("last_7_days", today) == (dt.date(2026, 5, 8), today)
    assert range_dates("last_30_days", today) == (dt.date(2026, 4, 15), today)
    assert range_dates("last_90_days", today) == (dt.date(2026, 2, 14), today)
    assert range_dates("this_month", today) == (dt.date(2026, 5, 1), today)
    assert range_dates("last_month", today) == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert range_dates("this_quarter", today) == (dt.date(2026, 4, 1), today)
    assert range_dates("year_to_date", today) == (dt.date(2026, 1, 1), today)
    # last month across a year boundary
    assert range_dates("last_month", dt.date(2026, 1, 3)) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
    )


def test_filters_default_to_last_30_days_and_dates_mean_custom():
    today = dt.date(2026, 5, 14)
    default = read_filters({}, today=today)
    assert default.range == "last_30_days" and default.params["from"] == "2026-04-15"
    custom = read_filters({"from": "2026-01-01", "to": "2026-01-31", "team": "3"}, today=today)
    assert custom.range == "custom" and custom.params == {
        "from": "2026-01-01",
        "to": "2026-01-31",
        "team": "3",
    }
    preset = read_filters({"range": "this_month", "from": "2020-01-01"}, today=today)
    assert preset.params["from"] == "2026-05-01"


def test_compare_shows_previous_period_and_colored_change(web_client, admin, leads):
    # March: 4 leads; previous 31 days (29 Jan - 28 Feb): 1 lead -> +300.0 %, up is good.
    html = web_client(admin).get("/analytics/overview/", {**MARCH, "compare": "1"}).content.decode()
    panel = html.split('data-testid="panel-new_leads-number"')[1].split("</section>")[0]
    assert 'class="text-success"' in panel and "300.0 %" in panel
    assert "vs 1 (2026-01-29 \u2013 2026-02-28)" in panel


def test_bar_chart_carries_drill_urls_and_table_links(web_client, admin, leads):
    html = web_client(admin).get("/analytics/marketing/", MARCH).content.decode()
    data = chart_json(html, "marketing-1-data")  # "New leads by source"
    assert data["type"] == "bar"
    assert dict(zip(data["labels"], data["datasets"][0]["data"], strict=True)) == {
        "Web form": 3,
        "Event": 1,
    }
    assert all("/leads/?" in url and "source=" in url for url in data["drill"])
    assert f'<a href="{data["drill"][0].replace("&", "&amp;")}">Web form</a>' in html


def test_stacked_area_has_one_dataset_per_source(web_client, admin, leads):
    html = web_client(admin).get("/analytics/marketing/", MARCH).content.decode()
    data = chart_json(html, "marketing-0-data")
    assert data["type"] == "stacked_area"
    web_form = next(d for d in data["datasets"] if d["label"] == "Web form")
    assert sum(web_form["data"]) == 3 and len(data["labels"]) == 6  # ISO weeks of March 2026


def test_ignored_filters_are_noted(web_client, admin, leads):
    from cyclecrm.segments.models import Segment

    segment = Segment.objects.create(name="Everyone", owner=admin, kind="static")
    params = {**MARCH, "pipeline": "5", "segment": str(segment.pk)}
    html = web_client(admin).get("/analytics/marketing/", params).content
    assert b"Not filtered by pipeline, segment." in html


def test_empty_period_shows_no_data_sentence_for_empty_groups(web_client, admin):
    html = web_client(admin).get("/analytics/marketing/", MARCH).content.decode()
    panel = html.split('data-testid="panel-new_leads-bar"')[1].split("</section>")[0]
    assert 'data-testid="no-data"' in panel


def test_filter_choices_list_only_readable_records(web_client, rep_a, admin, teams):
    from cyclecrm.segments.models import Segment

    Segment.objects.create(name="Admin only", owner=admin)
    html = web_client(rep_a).get("/analytics/overview/").content.decode()
    assert "Admin only" not in html
    assert "Admin only" in web_client(admin).get("/analytics/overview/").content.decode()
