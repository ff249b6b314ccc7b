"""Sales costs: API CRUD with field errors and history, the settings page, and who may see them."""

import pytest

from cyclecrm.analytics.models import SalesCost
from cyclecrm.core.models import HistoryEntry

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _create(client, **data):
    body = {"date": "2026-03-05", "amount": "1200.50", "category": "salaries", **data}
    return client.post("/api/v1/sales-costs", body, content_type=JSON)


def test_manager_creates_lists_changes_and_deletes_a_cost(api_client, manager, teams):
    client = api_client(manager)
    team = next(iter(teams.values()))
    created = _create(client, team_id=team.pk, note="March salaries")
    assert created.status_code == 201, created.content
    cost = created.json()
    assert cost["amount"] == "1200.50" and cost["team_id"] == team.pk
    _create(client, date="2026-04-01", amount="10")
    listed = client.get("/api/v1/sales-costs", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert [c["id"] for c in listed.json()["items"]] == [cost["id"]]
    assert len(client.get("/api/v1/sales-costs", {"team_id": team.pk}).json()["items"]) == 1
    patched = client.patch(
        f"/api/v1/sales-costs/{cost['id']}", {"version": 1, "amount": "1300"}, content_type=JSON
    )
    assert patched.json()["amount"] == "1300.00"
    assert client.get(f"/api/v1/sales-costs/{cost['id']}").json()["note"] == "March salaries"
    assert client.delete(f"/api/v1/sales-costs/{cost['id']}").status_code == 204
    actions = list(
        HistoryEntry.objects.filter(record_type="sales_cost", object_id=cost["id"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"category": "bribes"}, "category"),
        ({"team_id": 999999}, "team_id"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_invalid_costs_name_the_field(api_client, admin, data, field):
    response = _create(api_client(admin), **data)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_a_rep_may_neither_see_nor_change_costs(api_client, web_client, rep_a, admin):
    cost = _create(api_client(admin)).json()
    client = api_client(rep_a)
    assert client.get("/api/v1/sales-costs").json()["items"] == []
    assert client.get(f"/api/v1/sales-costs/{cost['id']}").status_code == 404
    assert _create(client).status_code == 403
    assert client.delete(f"/api/v1/sales-costs/{cost['id']}").status_code == 404
    web = web_client(rep_a)
    assert web.get("/settings/sales-costs/").status_code == 403
    assert b"/settings/sales-costs/" not in web.get("/settings/users/").content
    assert SalesCost.objects.count() == 1


def test_settings_page_adds_edits_and_deletes(web_client, manager):
    web = web_client(manager)
    page = web.get("/settings/sales-costs/")
    assert page.status_code == 200 and b"No sales costs yet" in page.content
    added = web.post(
        "/settings/sales-costs/",
        {"date": "2026-03-05", "amount": "250", "category": "tools", "note": "CRM seats"},
    )
    assert added.status_code == 302
    cost = SalesCost.objects.get()
    assert b"CRM seats" in web.get("/settings/sales-costs/").content
    bad = web.post("/settings/sales-costs/", {"date": "", "amount": "-5", "category": "tools"})
    assert bad.status_code == 422
    edited = web.post(
        f"/settings/sales-costs/{cost.pk}/",
        {
            "date": "2026-03-06",
            "amount": "260",
            "category": "tools",
            "note": "CRM seats",
            "version": 1,
        },
    )
    assert edited.status_code == 302
    cost.refresh_from_db()
    assert str(cost.date) == "2026-03-06" and cost.amount == 260
    assert web.post(f"/settings/sales-costs/{cost.pk}/delete/").status_code == 302
    assert not SalesCost.objects.exists()
