from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.leads.models import AssignmentRule, CaptureForm, Lead, ScoringRule

    register("lead", "Leads", Lead)
    register("capture_form", "Capture forms", CaptureForm)
    register("assignment_rule", "Assignment rules", AssignmentRule)
    register("scoring_rule", "Scoring rules", ScoringRule)
