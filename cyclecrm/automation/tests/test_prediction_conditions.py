"""Workflow conditions on model outputs: a contact's churn band, churn probability, RFM group,
predicted lifetime value and cluster; a lead's conversion probability."""

from decimal import Decimal

import pytest

from cyclecrm.automation.models import RunOutcome
from cyclecrm.automation.records import condition_catalog
from cyclecrm.automation.services import engine
from cyclecrm.automation.tests.test_workflows import make_rule, tags
from cyclecrm.contacts.models import Contact
from cyclecrm.intelligence.models import CustomerInsight, LeadInsight
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

AT_RISK_CHAMPIONS = {
    "all": [
        {"field": "insight.churn_band", "op": "eq", "value": "high"},
        {"field": "insight.churn_probability", "op": "gte", "value": "0.6"},
        {"field": "insight.rfm_group", "op": "in", "value": ["champions", "loyal"]},
        {"field": "insight.predicted_clv", "op": "gt", "value": "500"},
        {"field": "insight.cluster", "op": "eq", "value": 2},
    ]
}


def _contact(admin, name, **insight):
    contact = Contact.objects.create(last_name=name, owner=admin)
    if insight:
        CustomerInsight.objects.create(contact=contact, **insight)
    return contact


def test_contact_rule_runs_or_is_skipped_by_its_predictions(admin):
    rule = make_rule(admin, conditions=AT_RISK_CHAMPIONS)
    risky = _contact(admin, "Risky", churn_band="high", churn_probability=0.8,
                     rfm_group="champions", predicted_clv=Decimal("900"), cluster=2)  # fmt: skip
    safe = _contact(admin, "Safe", churn_band="low", churn_probability=0.1,
                    rfm_group="champions", predicted_clv=Decimal("900"), cluster=2)  # fmt: skip
    unscored = _contact(admin, "Unscored")

    runs = {
        contact.pk: engine.rule_run(rule_id=rule.pk, object_id=contact.pk, event="manual")
        for contact in (risky, safe, unscored)
    }

    assert runs[risky.pk].outcome == RunOutcome.SUCCESS and tags(risky) == ["vip"]
    assert runs[safe.pk].outcome == RunOutcome.SKIPPED and tags(safe) == []
    assert runs[unscored.pk].outcome == RunOutcome.SKIPPED


def test_lead_rule_on_conversion_probability(admin):
    rule = make_rule(
        admin,
        record_type="lead",
        conditions={
            "all": [{"field": "insight.conversion_probability", "op": "gte", "value": "0.5"}]
        },
    )
    hot, cold, unscored = make_lead(admin), make_lead(admin), make_lead(admin)
    LeadInsight.objects.create(lead=hot, conversion_probability=0.72)
    LeadInsight.objects.create(lead=cold, conversion_probability=0.2)

    assert engine.conditions_met(admin, rule, hot)
    assert not engine.conditions_met(admin, rule, cold)
    assert not engine.conditions_met(admin, rule, unscored)
    assert engine.rule_run(rule_id=rule.pk, object_id=cold.pk, event="manual").outcome == (
        RunOutcome.SKIPPED
    )


def test_condition_catalogs_offer_the_predictions():
    lead = {spec.key: spec for spec in condition_catalog("lead")}
    assert lead["insight.conversion_probability"].group == "Predictions"
    contact = {spec.key for spec in condition_catalog("contact")}
    assert {"insight.churn_band", "insight.rfm_group", "insight.cluster"} <= contact
