"""The `enroll_in_sequence` workflow action: a rule puts its contact or lead into a sequence.

Registered with the automation app's action registry from NurtureConfig.ready(); it enrolls
through `enroll`, so the rule's actor needs the same rights as a person enrolling by hand."""

from typing import Any

from cyclecrm.nurture.enrollment import enroll
from cyclecrm.nurture.models import EnrollmentSource, Sequence, SequenceStatus

SCHEMA = {"sequence": {"type": "int", "required": True, "label": "Sequence"}}


def check_enroll(params: dict[str, Any], record_type: str) -> dict[str, str]:
    enrollable = (SequenceStatus.ACTIVE, SequenceStatus.PAUSED)
    if not Sequence.objects.filter(pk=params.get("sequence"), status__in=enrollable).exists():
        return {"sequence": "No active or paused sequence with this id."}
    return {}


def enroll_from_rule(context: Any, params: dict[str, Any]) -> dict[str, Any]:
    sequence = Sequence.objects.get(pk=params["sequence"])
    record, is_lead = context.record, context.record_type == "lead"
    result = enroll(
        sequence=sequence,
        contacts=[] if is_lead else [record],
        leads=[record] if is_lead else [],
        source=EnrollmentSource.WORKFLOW,
        actor=context.actor,
    )
    return {"sequence": sequence.pk, "enrolled": result.enrolled, "skipped": result.skipped}
