"""The pipeline API: opportunities (permission matrix, moves, versions), configuration,
reports and onboarding, through HTTP with bearer tokens."""

import datetime as dt

import pytest

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.pipeline.models import Onboarding, StageChange
from cyclecrm.pipeline.tests.factories import make_opportunity, make_rate, stage

JSON = "application/json"
ROLES = ["admin", "manager", "rep_a", "rep_b", "marketer", "support_agent"]
# May the role read / edit / delete an opportunity owned by rep_a (team North, under Sales)?
SEES_REP_A = {"admin": True, "manager": True, "rep_a": True, "rep_b": False,
              "marketer": False, "support_agent": False}  # fmt: skip


@pytest.fixture
def users(admin, manager, rep_a, rep_b, marketer, support_agent):
    return {"admin": admin, "manager": manager, "rep_a": rep_a, "rep_b": rep_b,
            "marketer": marketer, "support_agent": support_agent}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_opportunity_permission_matrix(role, users, pipeline, api_client):
    # given
    deal = make_opportunity(users["rep_a"], pipeline=pipeline)
    client = api_client(users[role])
    visible = SEES_REP_A[role]
    # when / then: list, read, move, edit, create, delete
    listed = client.get("/api/v1/opportunities").json()["items"]
    assert (deal.pk in {row["id"] for row in listed}) is visible
    assert client.get(f"/api/v1/opportunities/{deal.pk}").status_code == (200 if visible else 404)
    moved = client.post(
        f"/api/v1/opportunities/{deal.pk}/move",
        {"stage_id": stage(pipeline, "Proposal").pk, "version": 1},
        content_type=JSON,
    )
    assert moved.status_code == (200 if visible else 404)
    patched = client.patch(
        f"/api/v1/opportunities/{deal.pk}", {"version": 2, "name": "New"}, content_type=JSON
    )
    assert patched.status_code == (200 if visible else 404)
    created = client.post("/api/v1/opportunities", {"name": "Mine"}, content_type=JSON)
    assert created.status_code == 201 and created.json()["owner_id"] == users[role].pk
    deleted = client.delete(f"/api/v1/opportunities/{deal.pk}")
    assert deleted.status_code == (204 if visible else 404)
    expected_changes = 2 if visible else 1
    assert StageChange.objects.filter(opportunity_id=deal.pk).count() == (
        0 if visible else expected_changes
    )


def test_a_read_only_token_cannot_write(rep_a, pipeline, api_client):
    client = api_client(rep_a, scope="read")
    response = client.post("/api/v1/opportunities", {"name": "x"}, content_type=JSON)
    assert response.status_code == 403


def test_create_read_and_decimal_strings(rep_a, pipeline, api_client):
    client = api_client(rep_a)
    account = make_account(owner=rep_a)
    response = client.post(
        "/api/v1/opportunities",
        {"name": "Deal", "amount": "1250.5", "currency": "eur", "account_id": account.pk,
         "expected_close_date": "2026-06-30", "tags": ["q2"]},
        content_type=JSON,
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "1250.50" and body["currency"] == "EUR"
    assert body["probability"] == "10.00" and body["status"] == "open"
    assert body["stage_id"] == stage(pipeline, "Prospecting").pk and body["tags"] == ["q2"]
    floats = client.post("/api/v1/opportunities", {"name": "x", "amount": 1.5}, content_type=JSON)
    assert floats.status_code == 422 and "amount" in floats.json()["error"]["fields"]


def test_move_conflicts_and_lost_reason(rep_a, pipeline, api_client):
    client = api_client(rep_a)
    deal = make_opportunity(rep_a, pipeline=pipeline)
    url = f"/api/v1/opportunities/{deal.pk}/move"
    lost = stage(pipeline, "Closed lost").pk
    missing = client.post(url, {"stage_id": lost, "version": 1}, content_type=JSON)
    assert missing.status_code == 422
    assert list(missing.json()["error"]["fields"]) == ["lost_reason"]
    ok = client.post(url, {"stage_id": lost, "version": 1, "lost_reason": "Budget"},
                     content_type=JSON)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["status"] == "lost" and ok.json()["version"] == 2
    assert ok.json()["closed_at"] is not None
    stale = client.post(url, {"stage_id": stage(pipeline, "Proposal").pk, "version": 1},
                        content_type=JSON)  # fmt: skip
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert StageChange.objects.filter(opportunity=deal).count() == 2
    foreign = client.post(url, {"stage_id": 999999, "version": 2}, content_type=JSON)
    assert foreign.status_code == 422 and "stage_id" in foreign.json()["error"]["fields"]
    history = client.get(f"/api/v1/opportunities/{deal.pk}/stage-changes").json()["items"]
    assert [row["to_stage_id"] for row in history] == [stage(pipeline, "Prospecting").pk, lost]


def test_filters_orderings_and_export(rep_a, pipeline, api_client):
    client = api_client(rep_a)
    make_opportunity(rep_a, pipeline=pipeline, name="Small", amount="100",
                     expected_close_date=dt.date(2026, 5, 1))  # fmt: skip
    make_opportunity(rep_a, pipeline=pipeline, name="Big", amount="9000", stage_name="Proposal",
                     expected_close_date=dt.date(2026, 7, 1))  # fmt: skip
    make_opportunity(rep_a, pipeline=pipeline, name="Won", amount="500", stage_name="Closed won",
                     expected_close_date=dt.date(2026, 6, 1))  # fmt: skip

    def names(query):
        response = client.get(f"/api/v1/opportunities?{query}")
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["items"]]

    assert names("ordering=-amount") == ["Big", "Won", "Small"]
    assert names("ordering=expected_close_date") == ["Small", "Won", "Big"]
    assert names("status=open&ordering=name") == ["Big", "Small"]
    assert names("status=won") == ["Won"]
    assert names(f"stage_id={stage(pipeline, 'Proposal').pk}") == ["Big"]
    assert names("amount_min=200&amount_max=1000") == ["Won"]
    assert names("close_from=2026-05-15&close_to=2026-06-30") == ["Won"]
    assert names("q=sma") == ["Small"]
    page = client.get("/api/v1/opportunities?ordering=expected_close_date&limit=2").json()
    rest = client.get(
        f"/api/v1/opportunities?ordering=expected_close_date&limit=2&cursor={page['next_cursor']}"
    ).json()
    assert [row["name"] for row in rest["items"]] == ["Big"]
    export = client.get("/api/v1/opportunities/export?status=open")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,external_id,name") and len(lines) == 3


def test_forecast_and_stats_endpoints(admin, rep_a, pipeline, api_client):
    make_rate("EUR", dt.date(2026, 1, 1), "1.10")
    make_opportunity(rep_a, pipeline=pipeline, amount="1000", currency="EUR",
                     stage_name="Proposal", expected_close_date=dt.date(2026, 4, 15))  # fmt: skip
    client = api_client(admin)
    forecast = client.get(
        f"/api/v1/pipeline/forecast?pipeline={pipeline.pk}&from=2026-04-01&to=2026-05-31"
    )
    assert forecast.status_code == 200, forecast.json()
    body = forecast.json()
    assert body["rows"] == [
        {"month": "2026-04", "owner_id": rep_a.pk, "owner_name": "rep_a", "weighted": "550.00",
         "open_amount": "1100.00", "open_count": 1, "won_amount": "0.00", "won_count": 0}
    ]  # fmt: skip
    assert [m["month"] for m in body["months"]] == ["2026-04", "2026-05"]
    assert body["total"]["weighted"] == "550.00" and body["currency"] == "USD"
    bad = client.get("/api/v1/pipeline/forecast?from=2026-05-01&to=2026-04-01")
    assert bad.status_code == 422
    stats = client.get(f"/api/v1/pipeline/stats?pipeline={pipeline.pk}")
    assert stats.status_code == 200
    assert stats.json()["open_count"] == 1 and stats.json()["open_value"] == "1100.00"
    assert client.get("/api/v1/pipeline/stats?pipeline=999999").status_code == 404


def test_forecast_without_a_rate_is_a_clear_422(rep_a, pipeline, api_client):
    make_opportunity(rep_a, pipeline=pipeline, currency="CHF",
                     expected_close_date=dt.date(2026, 4, 15))  # fmt: skip
    response = api_client(rep_a).get("/api/v1/pipeline/forecast?from=2026-04-01&to=2026-04-30")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "missing_exchange_rate"
    assert "CHF" in error["message"] and "2026-04-15" in error["message"]


def test_pipeline_configuration_api(admin, rep_a, pipeline, api_client):
    assert api_client(rep_a).get("/api/v1/pipelines").status_code == 200
    denied = api_client(rep_a).post("/api/v1/pipelines", {"name": "X"}, content_type=JSON)
    assert denied.status_code == 403
    client = api_client(admin)
    created = client.post(
        "/api/v1/pipelines",
        {"name": "Renewals", "stages": [{"name": "Open", "probability": "40"},
                                        {"name": "Renewed", "probability": 100, "kind": "won"}]},
        content_type=JSON,
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    pid = created.json()["id"]
    assert [s["name"] for s in created.json()["stages"]] == ["Open", "Renewed"]
    added = client.post(f"/api/v1/pipelines/{pid}/stages", {"name": "Talks", "probability": 60},
                        content_type=JSON)  # fmt: skip
    assert added.status_code == 201 and added.json()["position"] == 1
    in_use = make_opportunity(rep_a, pipeline=pipeline, stage_name="Negotiation")
    sid = stage(pipeline, "Negotiation").pk
    conflict = client.delete(f"/api/v1/pipelines/{pipeline.pk}/stages/{sid}")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "stage_in_use"
    merged = client.delete(
        f"/api/v1/pipelines/{pipeline.pk}/stages/{sid}?merge_into={stage(pipeline, 'Proposal').pk}"
    )
    assert merged.status_code == 204
    in_use.refresh_from_db()
    assert in_use.stage.name == "Proposal"
    read = client.get(f"/api/v1/pipelines/{pid}").json()
    order = [s["id"] for s in read["stages"]][::-1]
    reordered = client.put(f"/api/v1/pipelines/{pid}/stages",
                           {"stage_ids": order, "version": read["version"]},
                           content_type=JSON)  # fmt: skip
    stale = client.put(f"/api/v1/pipelines/{pid}/stages",
                       {"stage_ids": order[::-1], "version": read["version"]},
                       content_type=JSON)  # fmt: skip
    assert [s["id"] for s in reordered.json()["stages"]] == order
    assert reordered.json()["version"] == read["version"] + 1
    assert stale.status_code == 409
    assert [s["id"] for s in client.get(f"/api/v1/pipelines/{pid}").json()["stages"]] == order


def test_exchange_rates_api(admin, rep_a, api_client):
    client = api_client(admin)
    created = client.post("/api/v1/exchange-rates",
                          {"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.0850"},
                          content_type=JSON)  # fmt: skip
    assert created.status_code == 201 and created.json()["rate"] == "1.085"
    again = client.post("/api/v1/exchange-rates",
                        {"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.1"},
                        content_type=JSON)  # fmt: skip
    assert again.status_code == 409
    listed = api_client(rep_a).get("/api/v1/exchange-rates?currency=eur").json()["items"]
    assert [row["currency"] for row in listed] == ["EUR"]
    denied = api_client(rep_a).patch(f"/api/v1/exchange-rates/{created.json()['id']}",
                                     {"version": 1, "rate": "2"}, content_type=JSON)  # fmt: skip
    assert denied.status_code == 403


def test_onboardings_api(rep_a, rep_b, pipeline, api_client):
    account = make_account(owner=rep_a)
    make_contact(owner=rep_a, account=account)
    deal = make_opportunity(rep_a, pipeline=pipeline, account=account)
    client = api_client(rep_a)
    won = client.post(f"/api/v1/opportunities/{deal.pk}/move",
                      {"stage_id": stage(pipeline, "Closed won").pk, "version": 1},
                      content_type=JSON)  # fmt: skip
    assert won.status_code == 200
    listed = client.get(f"/api/v1/onboardings?account_id={account.pk}").json()["items"]
    assert len(listed) == 1 and listed[0]["progress"] == {"done": 0, "total": 4, "percent": 0}
    onboarding = Onboarding.objects.get()
    detail = client.get(f"/api/v1/onboardings/{onboarding.pk}").json()
    assert len(detail["steps"]) == 4 and detail["opportunity_id"] == deal.pk
    assert api_client(rep_b).get(f"/api/v1/onboardings/{onboarding.pk}").status_code == 404
    assert api_client(rep_b).get("/api/v1/onboardings").json()["items"] == []


def test_onboarding_templates_api(admin, rep_a, api_client):
    client = api_client(admin)
    created = client.post("/api/v1/onboarding-templates",
                          {"name": "SMB", "steps": [{"title": "Call", "due_offset_days": 2}]},
                          content_type=JSON)  # fmt: skip
    assert created.status_code == 201 and created.json()["is_default"] is True
    tid = created.json()["id"]
    patched = client.patch(f"/api/v1/onboarding-templates/{tid}",
                           {"version": 1,
                            "steps": [{"title": "A"}, {"title": "B", "due_offset_days": 9}]},
                           content_type=JSON)  # fmt: skip
    assert [s["title"] for s in patched.json()["steps"]] == ["A", "B"]
    assert api_client(rep_a).get(f"/api/v1/onboarding-templates/{tid}").status_code == 200
    assert api_client(rep_a).delete(f"/api/v1/onboarding-templates/{tid}").status_code == 403
    assert client.delete(f"/api/v1/onboarding-templates/{tid}").status_code == 204
