"""Segment fields and workflow conditions on loyalty and advocacy: `advocacy.score`,
`loyalty.member`, `loyalty.balance`, `loyalty.tier` and `referrals.converted`. Each compiles into
the one members query (no loop over contacts); the trigger `advocate_reached` runs rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.advocacy.advocates import advocate_scores_refresh
from cyclecrm.advocacy.models import AdvocateScore
from cyclecrm.advocacy.tests.advocate_data import NOW, nps, referral
from cyclecrm.automation.models import RunOutcome, WorkflowRun
from cyclecrm.automation.services import engine, rules
from cyclecrm.automation.tests.test_workflows import make_rule, tags
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.tests.conftest import huey_immediate  # noqa: F401 (fixture)
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EntryKind, LoyaltyProgram, ReferralStatus, Tier
from cyclecrm.segments.rules import field_catalog
from cyclecrm.segments.selectors import rules_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(admin):
    """Anna: gold in Club with 500 points, advocate 42.5, two converted referrals. Ben: silver in
    Club (120 points) and gold in the inactive Old club, one pending referral. Chloé: nothing."""
    anna = make_contact(admin, first_name="Anna")
    ben = make_contact(admin, first_name="Ben")
    chloe = make_contact(admin, first_name="Chloé")
    program = LoyaltyProgram.objects.create(name="Club")
    old = LoyaltyProgram.objects.create(name="Old club")
    silver = Tier.objects.create(program=program, name="Silver", rank=1, threshold=100)
    gold = Tier.objects.create(program=program, name="Gold", rank=2, threshold=400)
    old_gold = Tier.objects.create(program=old, name="Gold", rank=1, threshold=10)
    for contact, tier, points in ((anna, gold, 500), (ben, silver, 120)):
        member = member_enroll(program=program, contact=contact, actor=admin)
        member.tier = tier
        member.save(update_fields=["tier"])
        entry_post(member=member, kind=EntryKind.EARN, points=points, reason="test", actor=admin)
    retired = member_enroll(program=old, contact=ben, actor=admin)
    retired.tier = old_gold
    retired.save(update_fields=["tier"])
    entry_post(member=retired, kind=EntryKind.EARN, points=9000, reason="test", actor=admin)
    LoyaltyProgram.objects.filter(pk=old.pk).update(is_active=False)
    AdvocateScore.objects.create(contact=anna, score=42.5, referrals=2)
    referral(anna)
    referral(anna)
    referral(ben, status=ReferralStatus.PENDING)
    return {"anna": anna, "ben": ben, "chloe": chloe}


def _members(actor, field, op, value=None):
    condition = {"field": field, "op": op}
    if value is not None:
        condition["value"] = value
    return {c.first_name for c in rules_members(actor=actor, rules={"all": [condition]})}


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("advocacy.score", "gte", "40", {"Anna"}),
        ("advocacy.score", "lt", 1, {"Ben", "Chloé"}),  # no row: scores zero
        ("advocacy.score", "between", ["42.5", "50"], {"Anna"}),
        ("advocacy.score", "is_empty", None, set()),
        ("loyalty.member", "eq", "true", {"Anna", "Ben"}),
        ("loyalty.member", "eq", "false", {"Chloé"}),
        ("loyalty.member", "ne", "true", {"Chloé"}),
        ("loyalty.member", "in", ["true", "false"], {"Anna", "Ben", "Chloé"}),
        ("loyalty.balance", "gte", 200, {"Anna"}),  # Ben's 9000 are in an inactive program
        ("loyalty.balance", "lt", 200, {"Ben"}),
        ("loyalty.balance", "is_empty", None, {"Chloé"}),
        ("loyalty.tier", "eq", "gold", {"Anna"}),
        ("loyalty.tier", "ne", "Gold", {"Ben", "Chloé"}),
        ("loyalty.tier", "in", ["Silver", "Platinum"], {"Ben"}),
        ("loyalty.tier", "startswith", "si", {"Ben"}),
        ("loyalty.tier", "is_not_empty", None, {"Anna", "Ben"}),
        ("loyalty.tier", "is_empty", None, {"Chloé"}),
        ("referrals.converted", "eq", 2, {"Anna"}),
        ("referrals.converted", "eq", 0, {"Ben", "Chloé"}),
        ("referrals.converted", "gt", 0, {"Anna"}),
    ],
)
def test_loyalty_condition(admin, club, field, op, value, expected):
    assert _members(admin, field, op, value) == expected


def test_every_new_field_together_is_one_query(admin, club):
    rule = {
        "all": [
            {"field": "advocacy.score", "op": "gt", "value": 10},
            {"field": "loyalty.member", "op": "eq", "value": "true"},
            {"field": "loyalty.balance", "op": "gte", "value": 100},
            {"field": "loyalty.tier", "op": "in", "value": ["Gold", "Silver"]},
            {"not": {"field": "referrals.converted", "op": "lt", "value": 1}},
        ]
    }
    queryset = rules_members(actor=admin, rules=rule)  # compiling reads the actor's rights
    with CaptureQueriesContext(connection) as queries:
        found = [c.first_name for c in queryset]
    assert found == ["Anna"]
    assert len(queries) == 1


def test_the_catalog_offers_the_fields_in_their_group():
    specs = {spec.key: spec for spec in field_catalog()}
    for key in ("advocacy.score", "loyalty.member", "loyalty.balance", "loyalty.tier"):
        assert specs[key].group == "Loyalty and advocacy"
    assert specs["loyalty.member"].as_dict()["choices"] == ["true", "false"]
    assert specs["referrals.converted"].type == "number"


def test_a_workflow_condition_tests_the_loyalty_fields(admin, club):
    rule = make_rule(
        admin,
        conditions={
            "all": [
                {"field": "loyalty.tier", "op": "eq", "value": "Gold"},
                {"field": "advocacy.score", "op": "gte", "value": 25},
            ]
        },
    )
    assert engine.conditions_met(admin, rule, club["anna"])
    assert not engine.conditions_met(admin, rule, club["ben"])


def test_becoming_an_advocate_runs_the_advocate_reached_rules(
    admin,
    huey_immediate,  # noqa: F811 (the fixture imported above)
    django_capture_on_commit_callbacks,
):
    rule = make_rule(
        admin, trigger="advocate_reached", actions=[{"type": "add_tag", "params": {"tag": "adv"}}]
    )
    assert rule.event == "contact.advocate_reached"
    fan, other = make_contact(admin), make_contact(admin)
    nps(fan, 10, at=NOW)
    nps(other, 10, at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        advocate_scores_refresh(now=NOW)  # the baseline announces nobody
    referral(fan, at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        advocate_scores_refresh(now=NOW)
    runs = list(WorkflowRun.objects.filter(rule=rule))
    assert [(run.object_id, run.outcome) for run in runs] == [(fan.pk, RunOutcome.SUCCESS)]
    assert tags(fan) == ["adv"] and tags(other) == []


def test_the_advocate_trigger_is_for_contacts_only(admin):
    with pytest.raises(ValidationFailed) as error:
        rules.workflow_create(
            actor=admin,
            data={
                "name": "Wrong",
                "record_type": "lead",
                "trigger": "advocate_reached",
                "actions": [{"type": "add_tag", "params": {"tag": "x"}}],
            },
        )
    assert error.value.fields == {
        "trigger": ["Advocacy is scored for contacts: use record type contact."]
    }
