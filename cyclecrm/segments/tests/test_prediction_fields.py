"""Segment fields reading the model outputs (CustomerInsight, LeadInsight): one queryset,
joined through the contact's `insight`, and empty for contacts the models have not scored."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.intelligence.models import CustomerInsight, LeadInsight
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.segments.rules import RuleError, field_catalog
from cyclecrm.segments.selectors import rules_members
from cyclecrm.segments.tests.conftest import names


@pytest.fixture
def scored(people):
    """Anna: high churn risk champion in cluster 1; Ben: low risk, hibernating, cluster 0 with
    only some columns filled; Chloé: no insight row at all."""
    anna, ben = people["anna"], people["ben"]
    CustomerInsight.objects.create(
        contact=anna, churn_probability=0.82, churn_band="high", predicted_clv=Decimal("1500.50"),
        p_alive=0.91, expected_purchases=2.4, rfm_group="champions", recency_score=5,
        frequency_score=4, monetary_score=5, cluster=1,
    )  # fmt: skip
    CustomerInsight.objects.create(
        contact=ben, churn_probability=0.15, churn_band="low", rfm_group="hibernating",
        recency_score=1, frequency_score=1, monetary_score=2, cluster=0,
    )  # fmt: skip
    converted = make_lead(converted_contact=anna, email="")
    LeadInsight.objects.create(lead=converted, conversion_probability=0.7)
    LeadInsight.objects.create(lead=make_lead(email=anna.email), conversion_probability=0.4)
    LeadInsight.objects.create(lead=make_lead(email=ben.email), conversion_probability=0.1)
    LeadInsight.objects.create(lead=make_lead(email=""), conversion_probability=0.99)
    return people


def _members(actor, field, op, value=None):
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return names(rules_members(actor=actor, rules={"all": [condition]}))


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("insight.churn_probability", "gte", "0.5", {"Anna"}),
        ("insight.churn_probability", "lt", 0.5, {"Ben"}),
        ("insight.churn_probability", "between", ["0.1", "0.2"], {"Ben"}),
        ("insight.churn_probability", "is_empty", None, {"Chloé"}),
        ("insight.churn_band", "eq", "high", {"Anna"}),
        ("insight.churn_band", "ne", "high", {"Ben", "Chloé"}),
        ("insight.churn_band", "in", ["low", "medium"], {"Ben"}),
        ("insight.churn_band", "is_empty", None, {"Chloé"}),
        ("insight.predicted_clv", "gt", "1000", {"Anna"}),
        ("insight.predicted_clv", "is_empty", None, {"Ben", "Chloé"}),
        ("insight.p_alive", "gte", "0.9", {"Anna"}),
        ("insight.expected_purchases", "gt", 2, {"Anna"}),
        ("insight.expected_purchases", "is_not_empty", None, {"Anna"}),
        ("insight.rfm_group", "eq", "champions", {"Anna"}),
        ("insight.rfm_group", "not_in", ["champions"], {"Ben", "Chloé"}),
        ("insight.rfm_group", "is_empty", None, {"Chloé"}),
        ("insight.recency_score", "lte", 2, {"Ben"}),
        ("insight.frequency_score", "eq", 4, {"Anna"}),
        ("insight.monetary_score", "between", [2, 5], {"Anna", "Ben"}),
        ("insight.cluster", "eq", 0, {"Ben"}),
        ("insight.cluster", "eq", 1, {"Anna"}),
        ("insight.cluster", "ne", 1, {"Ben", "Chloé"}),
        ("insight.cluster", "is_empty", None, {"Chloé"}),
        ("lead.conversion_probability", "gte", "0.6", {"Anna"}),
        ("lead.conversion_probability", "lt", "0.5", {"Ben"}),
        ("lead.conversion_probability", "is_empty", None, {"Chloé"}),
    ],
)
def test_prediction_condition(admin, scored, field, op, value, expected):
    assert _members(admin, field, op, value) == expected


def test_not_is_the_exact_complement(admin, scored):
    rules = {"not": {"all": [{"field": "insight.churn_probability", "op": "gt", "value": "0.5"}]}}
    assert names(rules_members(actor=admin, rules=rules)) == {"Ben", "Chloé"}


def test_prediction_rules_compile_into_one_query(admin, scored):
    rules = {
        "all": [
            {"field": "insight.churn_band", "op": "eq", "value": "high"},
            {"field": "insight.rfm_group", "op": "in", "value": ["champions", "loyal"]},
            {"field": "lead.conversion_probability", "op": "gt", "value": "0.5"},
            {"field": "orders.count", "op": "gte", "value": 1},
        ]
    }
    queryset = rules_members(actor=admin, rules=rules)
    with CaptureQueriesContext(connection) as queries:
        members = names(queryset)
    assert members == {"Anna"}
    assert len(queries) == 1


def test_values_are_checked(admin, scored):
    with pytest.raises(RuleError) as raised:
        rules_members(
            actor=admin,
            rules={"all": [
                {"field": "insight.rfm_group", "op": "eq", "value": "heroes"},
                {"field": "insight.cluster", "op": "eq", "value": "1.5"},
            ]},
        )  # fmt: skip
    assert set(raised.value.fields) == {"rules.all[0].value", "rules.all[1].value"}


def test_builder_lists_them_under_predictions(db):
    catalog = {spec.key: spec.as_dict() for spec in field_catalog()}
    assert catalog["insight.churn_band"]["group"] == "Predictions"
    assert catalog["insight.churn_band"]["choices"] == ["low", "medium", "high"]
    assert "cant_lose" in catalog["insight.rfm_group"]["choices"]
    assert catalog["lead.conversion_probability"]["type"] == "number"
    assert {"insight.cluster", "insight.p_alive", "insight.monetary_score"} <= set(catalog)
