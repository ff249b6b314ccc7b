"""Each field kind and operator against hand-built contacts (see conftest.people)."""

import datetime as dt

import pytest

from cyclecrm.core.models import CustomField
from cyclecrm.segments.selectors import rules_members
from cyclecrm.segments.tests.conftest import names

TODAY = dt.datetime.now(dt.UTC).date()


def _members(actor, field, op, value=None):
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return names(rules_members(actor=actor, rules={"all": [condition]}))


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("country", "eq", "DE", {"Anna", "Ben"}),
        ("country", "ne", "DE", {"Chloé"}),
        ("country", "in", ["FR", "IT"], {"Chloé"}),
        ("country", "not_in", ["FR"], {"Anna", "Ben"}),
        ("postal_code", "startswith", "10", {"Anna"}),
        ("city", "contains", "unic", {"Ben"}),
        ("title", "is_empty", None, {"Ben", "Chloé"}),
        ("title", "is_not_empty", None, {"Anna"}),
        ("lifecycle_stage", "eq", "customer", {"Anna"}),
        ("gender", "is_empty", None, {"Ben", "Chloé"}),
        ("interests", "contains", "wine", {"Anna", "Ben"}),
        ("interests", "in", ["golf", "chess"], {"Anna"}),
        ("interests", "is_empty", None, {"Chloé"}),
        ("values", "is_not_empty", None, {"Anna"}),
        ("age", "gte", 40, {"Anna"}),
        ("age", "lt", 40, {"Ben"}),
        ("age", "eq", 24, {"Ben"}),
        ("age", "between", [20, 30], {"Ben"}),
        ("age", "is_empty", None, {"Chloé"}),
        ("account.industry", "eq", "Software", {"Anna"}),
        ("account.industry", "ne", "Software", {"Ben", "Chloé"}),
        ("account.employees", "gt", 100, {"Anna"}),
        ("account.employees", "lte", 100, {"Ben"}),
        ("account.annual_revenue", "gte", "1000000.50", {"Anna"}),
        ("account.country", "eq", "DE", {"Anna"}),
        ("account.name", "is_empty", None, {"Chloé"}),
        ("interactions_30d", "gte", 1, {"Anna"}),
        ("interactions_90d", "between", [1, 5], {"Ben"}),
        ("interactions_30d.email", "gte", 4, {"Anna"}),
        ("interactions_90d.email", "eq", 1, {"Ben"}),
        ("interactions_30d.chat", "eq", 0, {"Anna", "Ben", "Chloé"}),
        ("last_interaction_at", "within_last_days", 7, {"Anna"}),
        ("last_interaction_at", "before_days_ago", 30, {"Ben"}),
        ("last_interaction_at", "is_empty", None, {"Chloé"}),
        ("last_interaction_at", "gte", (TODAY - dt.timedelta(days=2)).isoformat(), {"Anna"}),
        ("last_interaction_at", "lt", (TODAY - dt.timedelta(days=2)).isoformat(), {"Ben"}),
        ("orders.count", "eq", 2, {"Anna"}),
        ("orders.count", "eq", 0, {"Chloé"}),
        ("orders.total", "gt", "1999.99", {"Anna"}),
        ("orders.total", "lt", 100, {"Ben", "Chloé"}),
        ("orders.last_date", "within_last_days", 30, {"Anna"}),
        ("orders.last_date", "is_empty", None, {"Chloé"}),
        ("orders.last_date", "before_days_ago", 150, {"Ben"}),
        ("nps.last", "gte", 9, {"Anna"}),
        ("nps.last", "lte", 6, {"Ben"}),
        ("nps.last", "ne", 10, {"Ben", "Chloé"}),
        ("nps.last", "is_empty", None, {"Chloé"}),
    ],
)
def test_condition(admin, people, field, op, value, expected):
    assert _members(admin, field, op, value) == expected


def test_groups_nest(admin, people):
    rules = {
        "any": [
            {"all": [{"field": "country", "op": "eq", "value": "DE"},
                     {"not": {"field": "lifecycle_stage", "op": "eq", "value": "customer"}}]},
            {"field": "country", "op": "eq", "value": "FR"},
        ]
    }  # fmt: skip

    assert names(rules_members(actor=admin, rules=rules)) == {"Ben", "Chloé"}


def test_empty_groups(admin, people):
    assert names(rules_members(actor=admin, rules={"all": []})) == {"Anna", "Ben", "Chloé"}
    assert names(rules_members(actor=admin, rules={"any": []})) == set()
    assert names(rules_members(actor=admin, rules={"not": {"any": []}})) == {"Anna", "Ben", "Chloé"}


@pytest.fixture
def custom_fields(people):
    for key, kind, choices in [
        ("tier", "choice", ["gold", "silver"]),
        ("seats", "number", []),
        ("renewal", "date", []),
        ("vip", "bool", []),
        ("tools", "multi_choice", ["crm", "erp"]),
    ]:
        CustomField.objects.create(
            record_type="contact", key=key, label=key.title(), kind=kind, choices=choices
        )
    anna, ben = people["anna"], people["ben"]
    anna.custom = {"tier": "gold", "seats": 12, "renewal": "2030-01-31", "vip": True,
                   "tools": ["crm", "erp"]}  # fmt: skip
    ben.custom = {"tier": "silver", "seats": 3, "renewal": "2020-06-01", "tools": ["erp"]}
    anna.save(update_fields=["custom"])
    ben.save(update_fields=["custom"])


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("custom.tier", "eq", "gold", {"Anna"}),
        ("custom.tier", "ne", "gold", {"Ben", "Chloé"}),
        ("custom.tier", "is_empty", None, {"Chloé"}),
        ("custom.seats", "gt", 5, {"Anna"}),
        ("custom.seats", "between", [1, 5], {"Ben"}),
        ("custom.renewal", "gt", "2025-01-01", {"Anna"}),
        ("custom.renewal", "before_days_ago", 10, {"Ben"}),
        ("custom.vip", "eq", "true", {"Anna"}),
        ("custom.tools", "contains", "crm", {"Anna"}),
        ("custom.tools", "in", ["erp"], {"Anna", "Ben"}),
    ],
)
def test_custom_field_condition(admin, custom_fields, field, op, value, expected):
    assert _members(admin, field, op, value) == expected


@pytest.mark.django_db
def test_lead_score_reads_converted_leads_and_open_leads_under_the_contact_email(admin, people):
    from cyclecrm.leads.models import Lead

    anna, ben = people["anna"], people["ben"]
    Lead.objects.create(last_name="Alt", score=80, converted_contact=anna, owner=admin)
    Lead.objects.create(last_name="Alt", score=20, converted_contact=anna, owner=admin)
    ben.email = "ben@example.com"
    ben.save(update_fields=["email"])
    Lead.objects.create(last_name="Brandt", email="ben@example.com", score=35, owner=admin)
    Lead.objects.create(last_name="Nobody", email="", score=99, owner=admin)

    assert _members(admin, "lead.score", "gte", 80) == {"Anna"}
    assert _members(admin, "lead.score", "between", [30, 40]) == {"Ben"}
    assert _members(admin, "lead.score", "is_empty") == {"Chloé"}
