"""CSV and XLSX downloads of a KPI's numbers: same parameters and permissions as the API."""

import csv
import io

import pytest
from openpyxl import load_workbook

from cyclecrm.analytics.tests.kpi_helpers import at, backdate
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def leads(rep_a, rep_b):
    for owner, source, day in [
        (rep_a, "web_form", "2026-03-02"),
        (rep_a, "event", "2026-03-10"),
        (rep_b, "web_form", "2026-03-15"),
    ]:
        backdate(make_lead(owner=owner, source=source), created_at=at(day))


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_of_groups(web_client, admin, leads):
    response = web_client(admin).get(
        "/analytics/kpis/new_leads.csv", {**MARCH, "group_by": "source"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="new_leads_2026-03-01_2026-03-31.csv"'
    )
    assert rows_of(response) == [
        ["source", "new_leads (count)", "numerator", "denominator"],
        ["Web form", "2", "", ""],
        ["Event", "1", "", ""],
    ]


def test_xlsx_of_a_series(web_client, admin, leads):
    params = {**MARCH, "group_by": "month"}
    response = web_client(admin).get("/analytics/kpis/new_leads.xlsx", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('new_leads_2026-03-01_2026-03-31.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["period", "new_leads (count)"],
        ["2026-03-01", 3],
    ]


def test_range_preset_and_filters_apply(web_client, admin, rep_a, leads):
    params = {**MARCH, "owner": rep_a.pk, "range": "custom"}
    rows = rows_of(web_client(admin).get("/analytics/kpis/new_leads.csv", params))
    assert rows[1][:3] == ["2026-03-01", "2026-03-31", "2"]


def test_rep_downloads_only_own_figures(web_client, rep_b, leads):
    rows = rows_of(web_client(rep_b).get("/analytics/kpis/new_leads.csv", MARCH))
    assert rows[1][2] == "1"


def test_invalid_query_is_422_naming_the_field(web_client, admin):
    response = web_client(admin).get(
        "/analytics/kpis/new_leads.csv", {**MARCH, "group_by": "planet"}
    )
    assert response.status_code == 422
    assert response.content.decode().startswith("group_by: new_leads cannot be grouped by")


def test_unknown_metric_and_format(web_client, admin):
    assert web_client(admin).get("/analytics/kpis/nothing.csv").status_code == 404
    assert web_client(admin).get("/analytics/kpis/new_leads.pdf").status_code == 404


def test_download_needs_login(client):
    assert client.get("/analytics/kpis/new_leads.csv").status_code == 302


def test_panel_links_to_downloads_with_its_parameters(web_client, admin, leads):
    html = web_client(admin).get("/analytics/marketing/", MARCH).content.decode()
    assert (
        "/analytics/kpis/new_leads.csv?from=2026-03-01&amp;to=2026-03-31&amp;group_by=source"
        in html
    )
    assert "/analytics/kpis/new_leads.xlsx?" in html
