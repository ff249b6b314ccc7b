"""Scoring on hand-computed fixtures, grades and the MQL milestone, recomputation when inputs
change, bulk rescoring after rule changes, and rule validation."""

from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.core.errors import Duplicate, Forbidden, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.leads.models import Lead, LeadGrade, ScoringRule
from cyclecrm.leads.services import (
    grade_for,
    lead_change_status,
    lead_create,
    lead_grade_create,
    lead_score,
    lead_update,
    leads_rescore,
    scoring_rule_create,
    scoring_rule_update,
)
from cyclecrm.leads.services import scoring as scoring_module
from cyclecrm.leads.tests.factories import make_grade, make_lead, make_scoring_rule


@pytest.fixture
def rules(db) -> dict[str, ScoringRule]:
    """Ten rules over every category; the comments give the points each one is worth."""
    specs = {
        "senior": ("fit", "title", "contains", ["director", "vp"], 10),
        "industry": ("fit", "industry", "in", ["software", "saas"], 15),
        "big": ("fit", "employees", "gte", "50", 5),
        "tiny": ("fit", "employees", "lte", "10", -5),
        "dach": ("fit", "country", "in", ["DE", "AT", "CH"], 5),
        "budget": ("bant", "budget", "gte", "10000", 20),
        "authority": ("bant", "authority", "equals", "decision_maker", 15),
        "need": ("bant", "need_level", "in", ["high"], 10),
        "soon": ("bant", "timeline_horizon", "in", ["now", "quarter"], 10),
        "opens": ("engagement", "engagement.email_opens", "gte", "3", 7),
    }
    return {
        key: make_scoring_rule(
            name=key, category=cat, field=field, operator=op, value=value, points=points
        )
        for key, (cat, field, op, value, points) in specs.items()
    }


@pytest.fixture
def grades(db) -> dict[str, LeadGrade]:
    return {
        "A": make_grade("A", 70, marks_mql=True),
        "B": make_grade("B", 40),
        "C": make_grade("C", 0),
    }


HOT = {
    "title": "VP Engineering",
    "industry": "Software",
    "employees": 120,
    "country": "DE",
    "budget": Decimal("25000"),
    "authority": "decision_maker",
    "need_level": "medium",
    "timeline_horizon": "quarter",
}


def _hot_lead(**fields) -> Lead:
    return Lead(**{**HOT, **fields})


def test_score_on_a_hand_computed_lead(rules):
    # senior 10 + industry 15 + big 5 + dach 5 + budget 20 + authority 15 + soon 10 = 80;
    # tiny (employees 120), need (medium) and opens (no engagement yet) give nothing.
    score, breakdown = lead_score(_hot_lead())

    assert score == 80
    points = {line["name"]: line["points"] for line in breakdown}
    assert points == {
        "senior": 10, "industry": 15, "big": 5, "tiny": 0, "dach": 5, "budget": 20,
        "authority": 15, "need": 0, "soon": 10, "opens": 0,
    }  # fmt: skip
    assert {line["category"] for line in breakdown} == {"fit", "bant", "engagement"}
    assert all(line["matched"] == (line["points"] != 0) for line in breakdown)


def test_score_of_an_empty_lead_and_of_a_small_cold_one(rules):
    assert lead_score(Lead())[0] == 0
    # tiny -5, need 10, nothing else (title, industry, country, budget do not match)
    cold = _hot_lead(
        title="Intern",
        industry="Retail",
        employees=4,
        country="US",
        budget=Decimal("9999.99"),
        authority="none",
        need_level="high",
        timeline_horizon="later",
    )
    assert lead_score(cold)[0] == 5


def test_engagement_rules_read_the_registered_sources(rules, monkeypatch):
    monkeypatch.setattr(scoring_module, "_engagement_sources", [])
    scoring_module.register_engagement_source(lambda ids: {i: {"email_opens": 4} for i in ids})

    assert lead_score(_hot_lead(), engagement={"email_opens": 4})[0] == 87
    assert lead_score(_hot_lead(), engagement={"email_opens": 2})[0] == 80
    assert scoring_module.engagement_for([5]) == {5: {"email_opens": 4}}


def test_grade_is_the_highest_band_reached(grades):
    bands = list(grades.values())
    assert grade_for(80, bands).letter == "A"
    assert grade_for(70, bands).letter == "A"
    assert grade_for(69, bands).letter == "B"
    assert grade_for(0, bands).letter == "C"
    assert grade_for(-3, bands) is None


def test_create_stores_score_grade_and_the_mql_milestone(rep_a, rules, grades):
    lead = lead_create(
        actor=rep_a,
        data={
            "last_name": "Hot",
            "title": "VP Engineering",
            "industry": "Software",
            "employees": 120,
            "country": "DE",
            "budget": "25000",
            "authority": "decision_maker",
            "timeline_horizon": "quarter",
        },
    )

    lead.refresh_from_db()
    assert (lead.score, lead.grade) == (80, "A")
    assert lead.mql_at is not None and lead.score_updated_at is not None
    assert len(lead.score_breakdown) == len(rules)
    entries = HistoryEntry.objects.filter(record_type="lead", object_id=lead.pk)
    milestone = entries.get(changes__has_key="mql_at")
    assert milestone.changes["grade"] == ["", "A"]


def test_update_recomputes_when_an_input_changes(rep_a, rules, grades):
    lead = lead_create(actor=rep_a, data={"last_name": "Warm", "employees": 120})
    lead.refresh_from_db()
    assert (lead.score, lead.grade, lead.mql_at) == (5, "C", None)

    lead_update(
        actor=rep_a, lead=lead, data={"employees": 5, "need_level": "high"}, version=lead.version
    )

    lead.refresh_from_db()
    assert lead.score == 5  # big 5 lost, tiny -5 and need 10 gained
    lead_update(actor=rep_a, lead=lead, data={"budget": "10000"}, version=lead.version)
    lead.refresh_from_db()
    assert (lead.score, lead.grade) == (25, "C")


def test_status_change_keeps_the_score_current(rep_a, rules, grades):
    lead = make_lead(owner=rep_a, title="Director of IT")
    assert lead.score == 0  # the factory does not score

    lead_change_status(actor=rep_a, lead=lead, status="contacted", version=1)

    lead.refresh_from_db()
    assert (lead.score, lead.grade) == (10, "C")


def test_rule_change_rescores_every_open_lead_after_commit(
    admin, rep_a, rules, grades, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(scoring_module, "RESCORE_BATCH", 2)  # several batches
    leads = [make_lead(owner=rep_a, industry="SaaS") for _ in range(5)]
    frozen = make_lead(owner=rep_a, industry="SaaS", converted_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        scoring_rule_update(actor=admin, rule=rules["industry"], data={"points": 45}, version=1)

    for lead in leads:
        lead.refresh_from_db()
        assert (lead.score, lead.grade) == (45, "B")
    frozen.refresh_from_db()
    assert (frozen.score, frozen.grade) == (0, "")


def test_rescore_reports_changes_and_records_grade_milestones(admin, rep_a, rules, grades):
    hot = make_lead(owner=rep_a, **HOT)
    cold = make_lead(owner=rep_a)

    assert leads_rescore(actor=admin) == 2  # both get their first score (and timestamp)
    assert leads_rescore(actor=admin) == 0

    hot.refresh_from_db()
    cold.refresh_from_db()
    assert (hot.score, hot.grade, cold.score, cold.grade) == (80, "A", 0, "C")
    assert hot.mql_at is not None and cold.mql_at is None
    entry = HistoryEntry.objects.get(record_type="lead", object_id=hot.pk)
    assert entry.changes["grade"] == ["", "A"] and entry.actor == admin
    assert "mql_at" in entry.changes


def test_only_admins_rescore_and_change_rules(rep_a, manager, rules):
    for user in (rep_a, manager):
        with pytest.raises(Forbidden):
            leads_rescore(actor=user)
        with pytest.raises(Forbidden):
            scoring_rule_create(
                actor=user,
                data={"name": "x", "field": "title", "operator": "is_set", "points": 1},
            )
    assert ScoringRule.objects.count() == len(rules)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"field": "shoe_size", "operator": "gte", "value": "3"}, "field"),
        ({"field": "employees", "operator": "contains", "value": "3"}, "operator"),
        ({"field": "employees", "operator": "gte", "value": "many"}, "value"),
        ({"field": "employees", "operator": "gte", "value": 2.5}, "value"),
        ({"field": "authority", "operator": "equals", "value": "boss"}, "value"),
        ({"field": "country", "operator": "in", "value": ["Atlantis"]}, "value"),
        ({"field": "industry", "operator": "in", "value": []}, "value"),
        ({"field": "title", "operator": "is_set", "category": "bant"}, "category"),
        ({"field": "title", "operator": "is_set", "points": 5000}, "points"),
    ],
)
def test_rule_validation_names_the_field(admin, data, field):
    payload = {"name": "Rule", "points": 5, **data}

    with pytest.raises(ValidationFailed) as caught:
        scoring_rule_create(actor=admin, data=payload)

    assert field in caught.value.fields
    assert not ScoringRule.objects.exists()


def test_rule_values_are_normalized(admin):
    rule = scoring_rule_create(
        actor=admin,
        data={
            "name": "EU",
            "field": "country",
            "operator": "in",
            "value": "germany, FR",
            "points": 3,
        },
    )
    opens = scoring_rule_create(
        actor=admin,
        data={"name": "Opens", "field": "engagement.email_opens", "operator": "gte", "value": 3,
              "points": 2},
    )  # fmt: skip

    assert (rule.category, rule.value) == ("fit", ["DE", "FR"])
    assert (opens.category, opens.value) == ("engagement", "3")


def test_grade_letters_are_unique(admin):
    lead_grade_create(actor=admin, data={"letter": "a", "min_score": 50})

    with pytest.raises(Duplicate):
        lead_grade_create(actor=admin, data={"letter": "A", "min_score": 10})

    assert list(LeadGrade.objects.values_list("letter", flat=True)) == ["A"]
