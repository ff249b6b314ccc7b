"""Fixtures for the intelligence read side: model runs, insights and offers written directly
(the trainers live in their own parts), on leads and contacts owned by different reps."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from cyclecrm.catalog.tests.factories import make_product
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.intelligence.models import (
    CustomerInsight,
    LeadInsight,
    ModelKind,
    ModelRun,
    Offer,
    RunStatus,
)
from cyclecrm.leads.tests.factories import make_lead

FACTORS = [
    {"feature": "bant_budget", "label": "Budget confirmed", "value": "yes", "contribution": 0.42},
    {"feature": "employees", "label": "Employees", "value": 12, "contribution": -0.31},
]


def make_run(kind: str, status: str = RunStatus.SUCCEEDED, **fields: Any) -> ModelRun:
    finished = None if status in (RunStatus.QUEUED, RunStatus.RUNNING) else timezone.now()
    fields.setdefault("finished_at", finished)
    return ModelRun.objects.create(kind=kind, status=status, **fields)


@pytest.fixture
def lead_run(db) -> ModelRun:
    return make_run(
        ModelKind.LEAD_CONVERSION,
        trained_on=800,
        evaluated_on=200,
        scored=1000,
        metrics={
            "roc_auc": 0.8125,
            "brier": 0.14,
            "calibration": [
                {"predicted": 0.1, "observed": 0.12, "count": 50},
                {"predicted": 0.7, "observed": 0.66, "count": 40},
            ],
        },
        parameters={"intercept": -1.2, "coefficients": {"bant_budget": 0.9}},
    )


@pytest.fixture
def scored_leads(rep_a, rep_b, lead_run) -> dict[str, Any]:
    """rep_a: two open scored leads and one unqualified; rep_b: one open scored lead."""
    leads = {
        "a_hot": make_lead(rep_a, last_name="Hot"),
        "a_warm": make_lead(rep_a, last_name="Warm", status="contacted"),
        "a_closed": make_lead(rep_a, last_name="Closed", status="unqualified"),
        "b_hot": make_lead(rep_b, last_name="Other"),
    }
    probabilities = {"a_hot": 0.91, "a_warm": 0.35, "a_closed": 0.99, "b_hot": 0.95}
    for key, probability in probabilities.items():
        LeadInsight.objects.create(
            lead=leads[key],
            conversion_probability=probability,
            factors=FACTORS,
            model_run=lead_run,
        )
    return leads


def add_insight(contact: Any, **fields: Any) -> CustomerInsight:
    fields.setdefault("orders_count", 3)
    fields.setdefault("revenue", Decimal("300.00"))
    return CustomerInsight.objects.create(contact=contact, **fields)


@pytest.fixture
def customers(rep_a, rep_b) -> dict[str, Any]:
    """Insights on contacts of rep_a (three) and rep_b (one)."""
    account = make_account(rep_a, name="Acme")
    people = {
        "risky": make_contact(rep_a, first_name="Rita", last_name="Risky", account=account),
        "riskier": make_contact(rep_a, first_name="Rolf", last_name="Riskier"),
        "loyal": make_contact(rep_a, first_name="Lena", last_name="Loyal"),
        "other": make_contact(rep_b, first_name="Otto", last_name="Other"),
    }
    add_insight(
        people["risky"], churn_probability=0.72, churn_band="high", predicted_clv=Decimal("900"),
        revenue=Decimal("1500"), rfm_group="At risk", recency_score=1, frequency_score=4,
        monetary_score=5, p_alive=0.31, expected_purchases=0.8, cluster=2,
        average_order_value=Decimal("500"),
        last_order_at=timezone.now() - dt.timedelta(days=200),
        churn_factors=[{"feature": "recency_days", "label": "Days since last order",
                        "value": 200, "contribution": 1.3}],
    )  # fmt: skip
    add_insight(
        people["riskier"], churn_probability=0.88, churn_band="high",
        predicted_clv=Decimal("100"), revenue=Decimal("100"),
    )  # fmt: skip
    add_insight(
        people["loyal"], churn_probability=0.05, churn_band="low",
        predicted_clv=Decimal("5000"), revenue=Decimal("4000"), rfm_group="Champions",
    )  # fmt: skip
    add_insight(
        people["other"], churn_probability=0.99, churn_band="high",
        predicted_clv=Decimal("9999"), revenue=Decimal("9000"),
    )  # fmt: skip
    return people


@pytest.fixture
def offers(customers) -> list[Offer]:
    widget = make_product(name="Widget Pro", sku="W-PRO")
    gadget = make_product(name="Gadget", sku="G-1")
    contact = customers["risky"]
    return [
        Offer.objects.create(contact=contact, product=gadget, kind="cross_sell", rank=2,
                             score=0.4, reason="Often bought with Widget (lift 3.4)"),
        Offer.objects.create(contact=contact, product=widget, kind="upsell", rank=1,
                             score=0.8, reason="Next tier of Widget"),
        Offer.objects.create(account=contact.account, product=widget, kind="upsell", rank=1,
                             score=0.7, reason="Account buys Widget"),
    ]  # fmt: skip
