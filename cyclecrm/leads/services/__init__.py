"""Writes for leads, by sub-domain: lifecycle (create, update, status), assignment rules,
scoring (evaluation and stored scores), scoring rule and grade management, conversion."""

from cyclecrm.leads.services.assignment import (
    AssignmentChoice,
    assignment_apply,
    assignment_rule_create,
    assignment_rule_delete,
    assignment_rule_update,
    assignment_test,
)
from cyclecrm.leads.services.conversion import Conversion, lead_convert
from cyclecrm.leads.services.lifecycle import (
    LEAD_FIELDS,
    TRANSITIONS,
    allowed_statuses,
    lead_change_status,
    lead_create,
    lead_delete,
    lead_update,
    normalize_lead,
)
from cyclecrm.leads.services.scoring import (
    grade_for,
    lead_rescore_one,
    lead_score,
    leads_rescore,
    register_engagement_source,
)
from cyclecrm.leads.services.scoring_rules import (
    lead_grade_create,
    lead_grade_delete,
    lead_grade_update,
    scoring_rule_create,
    scoring_rule_delete,
    scoring_rule_update,
)

__all__ = [
    "LEAD_FIELDS",
    "TRANSITIONS",
    "AssignmentChoice",
    "Conversion",
    "allowed_statuses",
    "assignment_apply",
    "assignment_rule_create",
    "assignment_rule_delete",
    "assignment_rule_update",
    "assignment_test",
    "grade_for",
    "lead_change_status",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_grade_create",
    "lead_grade_delete",
    "lead_grade_update",
    "lead_rescore_one",
    "lead_score",
    "lead_update",
    "leads_rescore",
    "normalize_lead",
    "register_engagement_source",
    "scoring_rule_create",
    "scoring_rule_delete",
    "scoring_rule_update",
]
