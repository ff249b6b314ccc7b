"""Demo lead scoring. A database without scoring rules or grade bands gets a small, plausible
set (fit and BANT rules; grades A to D, A marking MQLs); every demo lead is scored with the
leads app's own pure scoring (`lead_score`, `grade_for`) in memory, before it is inserted."""

import datetime as dt
import random
from typing import Any

from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.records import _moment
from cyclecrm.leads.models import (
    Authority,
    Lead,
    LeadGrade,
    NeedLevel,
    ScoringCategory,
    ScoringOperator,
    ScoringRule,
    TimelineHorizon,
)
from cyclecrm.leads.services.scoring import active_rules, grade_for, lead_score

_FIT, _BANT = ScoringCategory.FIT, ScoringCategory.BANT
_O = ScoringOperator
# (name, category, field, operator, value, points): values stored as the rule services store them
DEMO_RULES: list[tuple[str, str, str, str, Any, int]] = [
    ("Core markets", _FIT, "country", _O.IN, ["US", "GB", "DE", "FR", "NL"], 5),
    ("Target industry", _FIT, "industry", _O.IN, ["Software", "Manufacturing", "Logistics"], 5),
    ("50+ employees", _FIT, "employees", _O.GTE, "50", 10),
    ("Senior title", _FIT, "title", _O.CONTAINS, ["chief", "head", "director"], 10),
    ("Budget of 10,000 or more", _BANT, "budget", _O.GTE, "10000", 15),
    ("Decision maker", _BANT, "authority", _O.EQUALS, Authority.DECISION_MAKER, 20),
    ("Influencer", _BANT, "authority", _O.EQUALS, Authority.INFLUENCER, 8),
    ("High need", _BANT, "need_level", _O.EQUALS, NeedLevel.HIGH, 15),
    ("Buying soon", _BANT, "timeline_horizon", _O.IN,
     [TimelineHorizon.NOW, TimelineHorizon.QUARTER], 10),
]  # fmt: skip
# (letter, min_score, marks_mql)
DEMO_GRADES = [("A", 60, True), ("B", 35, False), ("C", 15, False), ("D", 0, False)]


def score_leads(context: DemoContext, leads: list[Lead]) -> None:
    """Score the demo leads before they are inserted (`build_leads` calls this): an update
    afterwards would cost more than building them."""
    rng = context.rng("lead scores")
    _ensure_rules_and_grades(context)
    rules = active_rules()
    grades = list(LeadGrade.objects.order_by("-min_score", "id"))
    mqls = sum(_score(lead, rules, grades, context.now, rng) for lead in leads)
    context.log(f"  {len(leads)} lead scores ({mqls} MQLs), {len(rules)} scoring rules")


def _ensure_rules_and_grades(context: DemoContext) -> None:
    """The demo rules and grades, unless the database has its own."""
    if not ScoringRule.objects.exists():
        context.counts["scoring rules"] = len(DEMO_RULES)
        ScoringRule.objects.bulk_create(
            ScoringRule(
                name=name,
                category=category,
                field=field,
                operator=operator,
                value=value,
                points=points,
                created_at=context.now,
            )
            for name, category, field, operator, value, points in DEMO_RULES
        )
    if not LeadGrade.objects.exists():
        context.counts["lead grades"] = len(DEMO_GRADES)
        LeadGrade.objects.bulk_create(
            LeadGrade(letter=letter, min_score=min_score, marks_mql=marks_mql)
            for letter, min_score, marks_mql in DEMO_GRADES
        )


def _score(
    lead: Lead,
    rules: list[ScoringRule],
    grades: list[LeadGrade],
    now: dt.datetime,
    rng: random.Random,
) -> bool:
    """Set the lead's stored score fields; True when it became an MQL."""
    score, breakdown = lead_score(lead, rules)
    band = grade_for(score, grades)
    lead.score, lead.score_breakdown = score, breakdown
    lead.grade = band.letter if band else ""
    lead.score_updated_at = lead.updated_at or now
    if band is None or not band.marks_mql:
        return False
    # Marketing-qualified somewhere between creation and the lead's latest change.
    lead.mql_at = _moment(rng, lead.created_at, max(lead.created_at, lead.updated_at or now))
    return True
