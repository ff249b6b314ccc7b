"""Browser test of the KPI dashboards: open each page, change the date range (htmx swaps the
body and pushes the URL), drill down from a chart to the matching leads, download a CSV.

The funnel drill-down needs the `lead_funnel` metric (acquisition KPIs); it is skipped where
that metric is not registered. The "New leads by source" bar drill-down runs everywhere.
"""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.leads.models import Lead
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def login(page: Page, url: str, user) -> None:
    page.goto(url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)


def click_chart_element(page: Page, panel_testid: str, key: str) -> None:
    """Click the bar or funnel step of the group `key` (where Chart.js drew it)."""
    canvas = page.locator(f"[data-testid={panel_testid}] canvas")
    expect(canvas).to_have_attribute("data-kpi-drawn", "true")
    point = canvas.evaluate(
        """(canvas, key) => {
            const index = canvas.kpiData.keys.indexOf(key);
            const element = Chart.getChart(canvas).getDatasetMeta(0).data[index];
            const center = element.getCenterPoint ? element.getCenterPoint() : element;
            return {x: center.x, y: center.y};
        }""",
        key,
    )
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def test_open_each_dashboard_and_change_the_range(live_server, page: Page, admin) -> None:
    make_lead(owner=admin, source="event")
    login(page, live_server.url, admin)
    for dashboard in DASHBOARDS:
        page.goto(f"{live_server.url}/analytics/{dashboard.slug}/")
        expect(page.locator(".nav-tabs .nav-link.active")).to_contain_text(dashboard.title)
        expect(page.locator("#dashboard-filters")).to_be_visible()
    page.goto(live_server.url + "/analytics/marketing/")
    expect(page.locator("[data-testid=panel-new_leads-bar] canvas")).to_have_attribute(
        "data-kpi-drawn", "true"
    )
    page.select_option("#f-range", "last_7_days")
    page.wait_for_url(lambda u: "range=last_7_days" in u)
    week_ago = (timezone.now().date() - dt.timedelta(days=6)).isoformat()
    expect(page.locator("#f-from")).to_have_value(week_ago)
    # the swapped-in charts are drawn again
    expect(page.locator("[data-testid=panel-new_leads-bar] canvas")).to_have_attribute(
        "data-kpi-drawn", "true"
    )
    # a custom date switches the preset to custom
    page.fill("#f-from", "2026-01-01")
    page.locator("#f-from").dispatch_event("change")
    page.wait_for_url(lambda u: "range=custom" in u and "from=2026-01-01" in u)


def test_drill_down_from_the_source_bar_to_the_leads(live_server, page: Page, admin) -> None:
    make_lead(owner=admin, source="web_form", last_name="Webber")
    make_lead(owner=admin, source="web_form", last_name="Formsby")
    make_lead(owner=admin, source="event", last_name="Eventide")
    login(page, live_server.url, admin)
    page.goto(live_server.url + "/analytics/marketing/")
    click_chart_element(page, "panel-new_leads-bar", "web_form")
    page.wait_for_url(lambda u: "/leads/?" in u and "source=web_form" in u)
    expect(page.get_by_text("Webber")).to_be_visible()
    expect(page.get_by_text("Formsby")).to_be_visible()
    expect(page.get_by_text("Eventide")).to_have_count(0)


def test_drill_down_from_a_funnel_step_to_the_leads(live_server, page: Page, admin) -> None:
    qualified = make_lead(owner=admin, last_name="Mqlton")
    make_lead(owner=admin, last_name="Coldley")
    Lead.objects.filter(pk=qualified.pk).update(mql_at=timezone.now())
    login(page, live_server.url, admin)
    page.goto(live_server.url + "/analytics/marketing/")
    click_chart_element(page, "panel-lead_funnel-funnel", "mql")
    page.wait_for_url(lambda u: "/leads/?" in u)
    expect(page.get_by_text("Mqlton")).to_be_visible()
    expect(page.get_by_text("Coldley")).to_have_count(0)


def test_download_a_csv(live_server, page: Page, admin) -> None:
    make_lead(owner=admin, source="web_form")
    make_lead(owner=admin, source="event")
    login(page, live_server.url, admin)
    page.goto(live_server.url + "/analytics/marketing/")
    panel = page.locator("[data-testid=panel-new_leads-bar]")
    with page.expect_download() as info:
        panel.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("new_leads_")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0][:2] == ["source", "new_leads (count)"]
    assert sorted(row[1] for row in rows[1:]) == ["1", "1"]
