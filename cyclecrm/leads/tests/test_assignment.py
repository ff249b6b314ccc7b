"""Assignment rules: round-robin order, territory and source matching, rule order, the tester,
history, the row lock, and who may manage the rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_user
from cyclecrm.leads.models import AssignmentRule
from cyclecrm.leads.services import (
    assignment_rule_create,
    assignment_rule_update,
    assignment_test,
    lead_create,
)
from cyclecrm.leads.tests.factories import make_assignment_rule


@pytest.fixture
def crew(teams):
    """Three reps in team North, created in id order."""
    return [make_user(f"crew{i}", role="sales_rep", teams=[teams["north"]]) for i in range(1, 4)]


def _create(actor, **data):
    data.setdefault("last_name", "Lead")
    return lead_create(actor=actor, data=data)


def test_round_robin_takes_turns_in_id_order(admin, crew):
    rule = make_assignment_rule("round_robin", [crew[2], crew[0], crew[1]])

    owners = [_create(admin).owner for _ in range(4)]

    assert owners == [crew[0], crew[1], crew[2], crew[0]]
    rule.refresh_from_db()
    assert rule.last_assignee == crew[0]


def test_round_robin_skips_inactive_assignees_and_continues_after_a_removed_one(admin, crew):
    rule = make_assignment_rule("round_robin", crew, last_assignee=crew[0])
    crew[1].is_active = False
    crew[1].save()

    assert _create(admin).owner == crew[2]

    rule.assignees.remove(crew[2])
    assert _create(admin).owner == crew[0]  # after crew[2] (gone): wraps to the first


def test_assignment_is_recorded_in_history_with_the_rule(admin, crew, teams):
    rule = make_assignment_rule("round_robin", [crew[1]], name="Everyone")

    lead = _create(admin)

    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (crew[1], teams["north"])
    entry = HistoryEntry.objects.get(
        record_type="lead", object_id=lead.pk, changes__has_key="assignment_rule"
    )
    assert entry.changes["assignment_rule"] == [None, f"Everyone (#{rule.pk})"]
    assert entry.changes["owner_id"] == [admin.pk, crew[1].pk]


def test_rules_are_tried_in_position_order(admin, crew, rep_b, teams):
    make_assignment_rule("round_robin", [crew[0]], position=2)
    make_assignment_rule("territory", [rep_b], position=1, countries=["DE", "AT"])
    make_assignment_rule("source", [crew[2]], position=0, sources=["partner"])

    assert _create(admin, country="Germany").owner == rep_b
    assert _create(admin, country="DE", source="partner").owner == crew[2]
    assert _create(admin, country="FR").owner == crew[0]


def test_territory_by_region_and_by_both(admin, crew):
    make_assignment_rule("territory", [crew[0]], position=0, countries=["US"], regions=["ca"])
    make_assignment_rule("territory", [crew[1]], position=1, regions=["Bavaria"])

    assert _create(admin, country="US", region="CA").owner == crew[0]
    assert _create(admin, country="US", region="NY").owner == admin  # no rule: the creator
    assert _create(admin, country="DE", region="bavaria").owner == crew[1]


def test_inactive_rules_and_rules_without_active_assignees_are_skipped(admin, crew):
    make_assignment_rule("round_robin", [crew[0]], position=0, is_active=False)
    nobody = make_user("gone", is_active=False)
    make_assignment_rule("round_robin", [nobody], position=1)
    make_assignment_rule("round_robin", [crew[2]], position=2)

    assert _create(admin).owner == crew[2]


def test_no_assignment_when_an_owner_is_given_or_assign_is_off(admin, rep_a, crew):
    rule = make_assignment_rule("round_robin", [crew[0]])

    given = _create(admin, owner_id=rep_a.pk)
    off = lead_create(actor=admin, data={"last_name": "X"}, assign=False)

    assert (given.owner, off.owner) == (rep_a, admin)
    rule.refresh_from_db()
    assert rule.last_assignee is None


def test_the_rule_assigns_whoever_creates_the_lead(rep_a, crew):
    """The rule is the admin's decision: a rep's unowned lead goes where the rule says."""
    make_assignment_rule("round_robin", [crew[0]])

    assert _create(rep_a).owner == crew[0]


def test_the_winning_rule_row_is_locked(admin, crew):
    make_assignment_rule("round_robin", crew)

    with CaptureQueriesContext(connection) as captured:
        _create(admin)

    sql = " ".join(query["sql"] for query in captured.captured_queries)
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in sql
    assert 'UPDATE "leads_assignmentrule"' in sql


def test_the_tester_answers_without_changing_anything(rep_a, crew):
    rule = make_assignment_rule("territory", crew, countries=["FR"], last_assignee=crew[0])

    choice = assignment_test(actor=rep_a, country="France", source="web_form")
    nothing = assignment_test(actor=rep_a, country="DE")

    assert (choice.rule, choice.user) == (rule, crew[1])
    assert nothing is None
    rule.refresh_from_db()
    assert rule.last_assignee == crew[0]
    with pytest.raises(ValidationFailed) as caught:
        assignment_test(actor=rep_a, country="Atlantis", source="pigeon")
    assert set(caught.value.fields) == {"country", "source"}


def test_admin_manages_rules_and_history_keeps_the_changes(admin, crew, teams):
    rule = assignment_rule_create(
        actor=admin,
        data={
            "name": " DACH ",
            "kind": "territory",
            "countries": ["germany", "AT", "AT"],
            "team_id": teams["north"].pk,
            "assignee_ids": [crew[0].pk, crew[1].pk],
        },
    )
    assert (rule.name, rule.countries) == ("DACH", ["DE", "AT"])

    assignment_rule_update(
        actor=admin, rule=rule, data={"assignee_ids": [crew[2].pk]}, version=rule.version
    )

    assert list(rule.assignees.all()) == [crew[2]]
    entries = HistoryEntry.objects.filter(record_type="assignment_rule", object_id=rule.pk)
    assert entries.count() == 2
    update = entries.get(action="update")
    assert update.changes["assignee_ids"] == [[crew[0].pk, crew[1].pk], [crew[2].pk]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "territory"}, "countries"),
        ({"kind": "source", "sources": []}, "sources"),
        ({"kind": "source", "sources": ["carrier pigeon"]}, "sources"),
        ({"kind": "round_robin", "assignee_ids": []}, "assignee_ids"),
        ({"kind": "round_robin", "assignee_ids": [999999]}, "assignee_ids"),
        ({"kind": "lottery"}, "kind"),
        ({"kind": "territory", "countries": ["Atlantis"]}, "countries"),
    ],
)
def test_rule_validation_names_the_field(admin, crew, data, field):
    payload = {"name": "Rule", "assignee_ids": [crew[0].pk], **data}

    with pytest.raises(ValidationFailed) as caught:
        assignment_rule_create(actor=admin, data=payload)

    assert field in caught.value.fields
    assert not AssignmentRule.objects.exists()


def test_only_admins_manage_rules(manager, rep_a, marketer, crew):
    for user in (manager, rep_a, marketer):
        with pytest.raises(Forbidden):
            assignment_rule_create(
                actor=user,
                data={"name": "x", "kind": "round_robin", "assignee_ids": [crew[0].pk]},
            )
    assert not AssignmentRule.objects.exists()
