"""Reads for sequences: every query starts from the permission gate on `sequence`; enrollments
are visible with their sequence, and only for contacts the reader may read."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.leads.models import Lead
from cyclecrm.nurture.models import (
    OPEN_STATES,
    Enrollment,
    EnrollmentState,
    RunStatus,
    Sequence,
    SequenceStep,
    StepRun,
    StepType,
)


def sequence_list(*, actor: User, action: str = Action.READ) -> QuerySet[Sequence]:
    return access.restrict(Sequence.objects.all(), actor, action).select_related("owner")


def sequence_get(*, actor: User, pk: Any, action: str = Action.READ) -> Sequence:
    sequence = None
    if str(pk).isdigit():
        sequence = sequence_list(actor=actor, action=action).filter(pk=pk).first()
    if sequence is None:
        raise NotFound("No sequence with this id.")
    return sequence


def sequence_steps(*, sequence: Sequence) -> list[SequenceStep]:
    return list(sequence.steps.order_by("position"))


def step_get(*, sequence: Sequence, pk: Any) -> SequenceStep:
    step = sequence.steps.filter(pk=pk).first() if str(pk).isdigit() else None
    if step is None:
        raise NotFound("No step with this id in this sequence.")
    return step


def enrollment_list(*, actor: User, sequence: Sequence) -> QuerySet[Enrollment]:
    """The sequence's enrollments whose contact (or lead) the actor may read."""
    contacts = access.restrict(Contact.objects.all(), actor).values("pk")
    leads = access.restrict(Lead.objects.all(), actor).values("pk")
    return (
        Enrollment.objects.filter(sequence=sequence)
        .filter(Q(contact__in=contacts) | Q(contact__isnull=True, lead__in=leads))
        .select_related("contact", "lead")
    )


def enrollment_get(*, actor: User, sequence: Sequence, pk: Any) -> Enrollment:
    enrollment = None
    if str(pk).isdigit():
        enrollment = enrollment_list(actor=actor, sequence=sequence).filter(pk=pk).first()
    if enrollment is None:
        raise NotFound("No enrollment with this id in this sequence.")
    return enrollment


def contact_enrollments(*, actor: User, contact: Contact) -> list[dict[str, Any]]:
    """The contact's enrollments in sequences the actor may read, with "step N of M" (three
    queries whatever the number of sequences)."""
    sequences = sequence_list(actor=actor).values("pk")
    rows = list(
        Enrollment.objects.filter(contact=contact, sequence__in=sequences)
        .select_related("sequence")
        .order_by("-enrolled_at", "-id")[:20]
    )
    totals = dict(
        SequenceStep.objects.filter(sequence_id__in={row.sequence_id for row in rows})
        .values("sequence_id")
        .annotate(n=Count("id"))
        .values_list("sequence_id", "n")
    )
    return [
        {
            "enrollment": row,
            "step": row.position,
            "steps": totals.get(row.sequence_id, 0),
            "open": row.state in OPEN_STATES,
        }
        for row in rows
    ]


def sequence_stats(*, sequence: Sequence) -> list[dict[str, Any]]:
    """Per step: runs entered, done, skipped, failed; for e-mails sent, opened, clicked (rates
    over sent); the open enrollments waiting at the step and those that exited before running
    it (an exit keeps the position). Three queries."""
    steps = sequence_steps(sequence=sequence)
    counts = {
        row["step_id"]: row
        for row in StepRun.objects.filter(step__sequence=sequence)
        .values("step_id")
        .annotate(
            entered=Count("id"),
            done=Count("id", filter=Q(status=RunStatus.DONE)),
            skipped=Count("id", filter=Q(status=RunStatus.SKIPPED)),
            failed=Count("id", filter=Q(status=RunStatus.FAILED)),
            sent=Count("id", filter=Q(interaction__isnull=False)),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        )
    }
    by_position = (
        Enrollment.objects.filter(sequence=sequence)
        .values("position")
        .annotate(
            waiting=Count("id", filter=Q(state__in=OPEN_STATES)),
            exited=Count("id", filter=Q(state=EnrollmentState.EXITED)),
        )
    )
    waiting = {row["position"]: row["waiting"] for row in by_position}
    exited = {row["position"]: row["exited"] for row in by_position}
    result = []
    for step in steps:
        row = counts.get(step.pk, {})
        sent = row.get("sent", 0)
        result.append(
            {
                "step_id": step.pk,
                "position": step.position,
                "type": step.type,
                "label": step.get_type_display(),
                "entered": row.get("entered", 0),
                "done": row.get("done", 0),
                "skipped": row.get("skipped", 0),
                "failed": row.get("failed", 0),
                "sent": sent,
                "opened": row.get("opened", 0),
                "clicked": row.get("clicked", 0),
                "open_rate": row.get("opened", 0) / sent if sent else None,
                "click_rate": row.get("clicked", 0) / sent if sent else None,
                "waiting": waiting.get(step.position, 0),
                "exited": exited.get(step.position, 0),
                "is_email": step.type == StepType.SEND_EMAIL,
            }
        )
    return result
