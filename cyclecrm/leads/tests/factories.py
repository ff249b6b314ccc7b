"""Factories for lead tests: plain ORM inserts (no rights, no scoring), like core's factories."""

import itertools
from typing import Any

from cyclecrm.identity.models import User
from cyclecrm.leads.models import AssignmentRule, Lead, LeadGrade, ScoringRule

_seq = itertools.count(1)


def make_lead(owner: User | None = None, **fields: Any) -> Lead:
    n = next(_seq)
    fields.setdefault("first_name", "Grace")
    fields.setdefault("last_name", f"Hopper{n}")
    fields.setdefault("email", f"grace{n}@example.com")
    fields.setdefault("company", f"Company {n}")
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Lead.objects.create(owner=owner, team=team, created_by=owner, **fields)


def make_scoring_rule(**fields: Any) -> ScoringRule:
    fields.setdefault("name", f"Rule {next(_seq)}")
    fields.setdefault("category", "fit")
    return ScoringRule.objects.create(**fields)


def make_grade(letter: str, min_score: int, *, marks_mql: bool = False) -> LeadGrade:
    return LeadGrade.objects.create(letter=letter, min_score=min_score, marks_mql=marks_mql)


def make_assignment_rule(
    kind: str, assignees: list[User], *, position: int = 0, **fields: Any
) -> AssignmentRule:
    fields.setdefault("name", f"Assign {next(_seq)}")
    rule = AssignmentRule.objects.create(kind=kind, position=position, **fields)
    rule.assignees.set(assignees)
    return rule
