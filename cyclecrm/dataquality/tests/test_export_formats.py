"""CSV and XLSX exports of lists: formats, formula safety, real dates, rights, flat queries."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cyclecrm.core.export import sanitize_cell, xlsx_cell
from cyclecrm.core.testing.factories import make_contact

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_api_xlsx_export_keeps_filters_types_and_defuses_formulas(api_client, admin):
    make_contact(admin, last_name="=HYPERLINK(1)", birth_date=dt.date(1980, 2, 3), city="Oslo")
    make_contact(admin, last_name="Other", city="Bergen")
    response = api_client(admin).get("/api/v1/contacts/export?format=xlsx&q=HYPERLINK")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = _sheet(response)
    header, data = rows[0], rows[1:]
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert record["last_name"] == "'=HYPERLINK(1)"
    assert record["birth_date"] == dt.datetime(1980, 2, 3)  # a real date cell, not text
    assert record["city"] == "Oslo"


@pytest.mark.django_db
def test_api_csv_stays_the_default(api_client, admin):
    make_contact(admin, last_name="Csv")
    response = api_client(admin).get("/api/v1/contacts/export")
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[1][rows[0].index("last_name")] == "Csv"


@pytest.mark.django_db
def test_unknown_format_is_422_naming_the_field(api_client, admin):
    response = api_client(admin).get("/api/v1/contacts/export?format=pdf")
    assert response.status_code == 422
    assert "format" in str(response.json())


@pytest.mark.django_db
def test_export_right_is_checked(api_client, support_agent, admin):
    make_contact(admin)
    assert api_client(support_agent).get("/api/v1/contacts/export?format=xlsx").status_code == 403
    client = api_client(support_agent)
    assert client.get("/api/v1/tasks/export").status_code in (200, 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/export",
        "/api/v1/leads/export",
        "/api/v1/opportunities/export",
        "/api/v1/products/export",
        "/api/v1/orders/export",
        "/api/v1/quotes/export",
        "/api/v1/tasks/export",
        "/api/v1/activities/export",
    ],
)
def test_every_api_export_writes_xlsx(api_client, admin, path):
    response = api_client(admin).get(f"{path}?format=xlsx")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    assert _sheet(response)[0]  # the header row


@pytest.mark.django_db
@pytest.mark.parametrize(
    "list_url",
    ["contact_export", "account_export", "lead_export", "opportunity_export", "task_export"],
)
def test_web_exports_carry_the_filter_in_both_formats(web_client, admin, list_url):
    from django.urls import reverse

    client = web_client(admin)
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse(list_url) + f"?format={fmt}")
        assert response.status_code == 200
        assert (response["Content-Type"] == XLSX) == (fmt == "xlsx")
    assert client.get(reverse(list_url) + "?format=doc").status_code == 400


@pytest.mark.django_db
def test_web_list_shows_the_export_menu(web_client, admin):
    from django.urls import reverse

    page = web_client(admin).get(reverse("contact_list") + "?q=ada").content.decode()
    assert 'id="export-xlsx-link"' in page
    assert "q=ada&amp;format=xlsx" in page
    assert 'id="export-vcard-link"' in page
    assert 'id="import-vcard-link"' in page


@pytest.mark.django_db
def test_xlsx_export_queries_do_not_grow_with_rows(api_client, admin):
    client = api_client(admin)
    for _ in range(3):
        make_contact(admin)
    client.get("/api/v1/contacts/export?format=xlsx")  # warm: the token's first use is noted
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/contacts/export?format=xlsx")
    for _ in range(30):
        make_contact(admin)
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/contacts/export?format=xlsx")
    assert len(many) == len(few)


def test_cells():
    assert sanitize_cell("=1+1") == "'=1+1"
    assert sanitize_cell("-5") == "-5"
    assert xlsx_cell("x" * 40000) == "x" * 32767
    aware = dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.UTC)
    assert xlsx_cell(aware).tzinfo is None
    assert xlsx_cell(True) is True
