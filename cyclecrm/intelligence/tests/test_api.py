import pytest

from cyclecrm.intelligence import trainers
from cyclecrm.intelligence.models import ModelKind, ModelRun, RunStatus
from cyclecrm.intelligence.tests.conftest import make_run

pytestmark = pytest.mark.django_db
BASE = "/api/v1/intelligence"


@pytest.fixture
def fake_rfm_trainer(monkeypatch):
    def train(run, progress):
        run.trained_on = 5

    monkeypatch.setitem(trainers._trainers, ModelKind.RFM, train)


def test_models_overview(api_client, marketer, lead_run):
    response = api_client(marketer).get(f"{BASE}/models")
    assert response.status_code == 200
    body = {row["kind"]: row for row in response.json()}
    assert set(body) == set(ModelKind.values)
    lead = body["lead_conversion"]
    assert lead["in_use"]["id"] == lead_run.pk
    assert lead["in_use"]["metrics"]["roc_auc"] == 0.8125
    assert (lead["in_use"]["trained_on"], lead["in_use"]["evaluated_on"]) == (800, 200)
    assert body["churn"]["latest"] is None


def test_runs_are_paginated_newest_first(api_client, manager):
    runs = [make_run(ModelKind.CHURN) for _ in range(3)]
    client = api_client(manager)
    first = client.get(f"{BASE}/models/churn/runs", {"limit": 2}).json()
    assert [row["id"] for row in first["items"]] == [runs[2].pk, runs[1].pk]
    second = client.get(f"{BASE}/models/churn/runs", {"limit": 2, "cursor": first["next_cursor"]})
    assert [row["id"] for row in second.json()["items"]] == [runs[0].pk]
    assert second.json()["next_cursor"] is None


def test_unknown_kind_is_422(api_client, manager):
    client = api_client(manager)
    assert client.get(f"{BASE}/models/astrology/runs").status_code == 422
    response = client.post(f"{BASE}/models/astrology/train", {}, content_type="application/json")
    assert response.status_code == 422


def test_get_run(api_client, marketer, lead_run):
    response = api_client(marketer).get(f"{BASE}/runs/{lead_run.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["parameters"]["intercept"] == -1.2
    assert api_client(marketer).get(f"{BASE}/runs/{lead_run.pk + 99}").status_code == 404


def test_manager_queues_a_run(api_client, manager, fake_rfm_trainer):
    response = api_client(manager).post(
        f"{BASE}/models/rfm/train", {"options": {"window": 90}}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    run = ModelRun.objects.get(pk=response.json()["id"])
    assert (run.kind, run.status, run.options, run.requested_by) == (
        "rfm", RunStatus.QUEUED, {"window": 90}, manager,
    )  # fmt: skip


def test_sales_rep_may_not_retrain(api_client, rep_a, fake_rfm_trainer):
    response = api_client(rep_a).post(
        f"{BASE}/models/rfm/train", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"]
    assert not ModelRun.objects.exists()


def test_kind_without_trainer_is_422_naming_kind(api_client, manager, monkeypatch):
    monkeypatch.delitem(trainers._trainers, "churn")
    response = api_client(manager).post(
        f"{BASE}/models/churn/train", {}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "kind" in response.json()["error"]["fields"]


def test_lead_prediction(api_client, rep_a, rep_b, scored_leads, lead_run):
    lead = scored_leads["a_hot"]
    response = api_client(rep_a).get(f"{BASE}/leads/{lead.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["model_in_charge"] and body["probability"] == 0.91
    assert body["factors"][0]["label"] == "Budget confirmed"
    assert (body["run_id"], body["roc_auc"]) == (lead_run.pk, 0.8125)
    assert api_client(rep_b).get(f"{BASE}/leads/{lead.pk}").status_code == 404


def test_lead_prediction_rule_based_when_refused(api_client, rep_a, scored_leads):
    message = "Needs 30 converted leads; there are 12."
    make_run(ModelKind.LEAD_CONVERSION, RunStatus.REFUSED, message=message)
    body = api_client(rep_a).get(f"{BASE}/leads/{scored_leads['a_hot'].pk}").json()
    assert body["model_in_charge"] is False and body["probability"] is None
    assert "Needs 30 converted leads" in body["reason"]
    assert body["rule_score"] == scored_leads["a_hot"].score


def test_customer_insight_with_offers(api_client, rep_a, customers, offers):
    contact = customers["risky"]
    body = api_client(rep_a).get(f"{BASE}/contacts/{contact.pk}").json()
    assert body["scored"] is True
    assert (body["churn_band"], body["churn_probability"]) == ("high", 0.72)
    assert body["rfm_group"] == "At risk" and body["recency_score"] == 1
    assert float(body["predicted_clv"]) == 900 and body["cluster"] == 2
    assert body["churn_factors"][0]["label"] == "Days since last order"
    assert [offer["product_name"] for offer in body["offers"]] == ["Widget Pro", "Gadget"]


def test_customer_insight_not_scored_and_not_readable(api_client, rep_a, rep_b, customers):
    from cyclecrm.core.testing.factories import make_contact

    fresh = make_contact(rep_a, last_name="Fresh")
    body = api_client(rep_a).get(f"{BASE}/contacts/{fresh.pk}").json()
    assert body["scored"] is False and body["churn_probability"] is None
    assert api_client(rep_b).get(f"{BASE}/contacts/{customers['risky'].pk}").status_code == 404


def test_account_offers(api_client, rep_a, customers, offers):
    account = customers["risky"].account
    body = api_client(rep_a).get(f"{BASE}/accounts/{account.pk}/offers").json()
    assert [offer["reason"] for offer in body] == ["Account buys Widget"]


def test_hot_leads_sales_rep_sees_only_their_leads(api_client, rep_a, scored_leads):
    body = api_client(rep_a).get(f"{BASE}/hot-leads").json()
    assert [row["lead_id"] for row in body["items"]] == [
        scored_leads["a_hot"].pk, scored_leads["a_warm"].pk,
    ]  # fmt: skip
    assert body["items"][0]["top_factor"] == "Budget confirmed"


def test_hot_leads_pages(api_client, manager, scored_leads):
    client = api_client(manager)
    first = client.get(f"{BASE}/hot-leads", {"limit": 2}).json()
    second = client.get(f"{BASE}/hot-leads", {"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [row["lead_id"] for row in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 3
    bad = client.get(f"{BASE}/hot-leads", {"cursor": "nonsense"})
    assert bad.status_code == 422 and "cursor" in bad.json()["error"]["fields"]


def test_customers_at_risk_and_best_customers(api_client, rep_a, customers):
    client = api_client(rep_a)
    risk = client.get(f"{BASE}/customers-at-risk").json()["items"]
    assert [row["contact_id"] for row in risk] == [customers["riskier"].pk, customers["risky"].pk]
    assert risk[1]["account_name"] == "Acme"
    best = client.get(f"{BASE}/best-customers").json()["items"]
    assert best[0]["contact_id"] == customers["loyal"].pk
    assert customers["other"].pk not in [row["contact_id"] for row in best]
