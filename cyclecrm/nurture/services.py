"""Writes for sequence definitions: the sequence through the shared write path (rights, history,
version check), its steps (validated config, positions kept 1..M, branch targets remapped on
reorder and delete) and its status (activation checks the whole step list)."""

from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from cyclecrm.core.errors import FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.records import claim_version, record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.leads.models import CaptureForm
from cyclecrm.nurture.models import (
    OPEN_STATES,
    Enrollment,
    EnrollmentState,
    ExitReason,
    Sequence,
    SequenceStatus,
    SequenceStep,
    StepType,
)
from cyclecrm.nurture.steps import step_config_clean

SEQUENCE_FIELDS = {
    "name",
    "description",
    "status",
    "exit_on_reply",
    "exit_on_conversion",
    "exit_on_unsubscribe",
    "enroll_form_id",
    "owner_id",
    "team_id",
}
MAX_STEPS = 100
# Allowed status changes; archiving ends every open enrollment.
TRANSITIONS = {
    SequenceStatus.DRAFT: {SequenceStatus.ACTIVE, SequenceStatus.ARCHIVED},
    SequenceStatus.ACTIVE: {SequenceStatus.PAUSED, SequenceStatus.ARCHIVED},
    SequenceStatus.PAUSED: {SequenceStatus.ACTIVE, SequenceStatus.ARCHIVED},
    SequenceStatus.ARCHIVED: set(),
}
NO_STEPS = "Add at least one step before activating."
BAD_TARGET = "Step {position} does not exist."


def _normalize(data: dict[str, Any], current: Sequence | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - SEQUENCE_FIELDS):
        errors.add(name, "Unknown field.")
    if "name" in data or current is None:
        data["name"] = " ".join(str(data.get("name") or "").split())
        if not data["name"]:
            errors.add("name", "This field is required.")
    if "description" in data:
        data["description"] = str(data["description"] or "").strip()
    if current is None and data.get("status", SequenceStatus.DRAFT) != SequenceStatus.DRAFT:
        errors.add("status", "A new sequence starts as a draft; activate it once it has steps.")
    if (
        data.get("enroll_form_id") is not None
        and not CaptureForm.objects.filter(pk=data["enroll_form_id"]).exists()
    ):
        errors.add("enroll_form_id", "No capture form with this id.")
    errors.raise_if_any()
    return data


def _check_status(sequence: Sequence, status: str) -> None:
    if status == sequence.status:
        return
    if status not in TRANSITIONS.get(sequence.status, set()):
        allowed = ", ".join(sorted(TRANSITIONS.get(sequence.status, set()))) or "none"
        raise ValidationFailed(
            fields={"status": [f"A {sequence.status} sequence can move to: {allowed}."]}
        )
    if status == SequenceStatus.ACTIVE:
        sequence_check_steps(sequence=sequence)


def sequence_check_steps(*, sequence: Sequence) -> None:
    """Every branch target exists and there is at least one step (422 naming `steps[i]`)."""
    steps = list(sequence.steps.order_by("position"))
    errors = FieldErrors()
    if not steps:
        errors.add("steps", NO_STEPS)
    positions = {step.position for step in steps}
    for index, step in enumerate(steps):
        for key in ("yes", "no"):
            target = step.config.get(key) if step.type == StepType.BRANCH else None
            if target is not None and target not in positions:
                errors.add(f"steps[{index}].config.{key}", BAD_TARGET.format(position=target))
    errors.raise_if_any()


def sequence_create(*, actor: User, data: dict[str, Any]) -> Sequence:
    return record_create(actor=actor, model=Sequence, data=_normalize(data, None))


def sequence_update(
    *, actor: User, sequence: Sequence, data: dict[str, Any], version: int | None = None
) -> Sequence:
    """Update fields and status; archiving exits every open enrollment."""
    data = _normalize(data, sequence)
    if "status" in data:
        _check_status(sequence, data["status"])
    with transaction.atomic():
        sequence = record_update(
            actor=actor,
            instance=sequence,
            data=data,
            version=sequence.version if version is None else version,
        )
        if sequence.status == SequenceStatus.ARCHIVED:
            Enrollment.objects.filter(sequence=sequence, state__in=OPEN_STATES).update(
                state=EnrollmentState.EXITED,
                exit_reason=ExitReason.SEQUENCE_ARCHIVED,
                next_run_at=None,
                finished_at=timezone.now(),
            )
    return sequence


def sequence_delete(*, actor: User, sequence: Sequence) -> None:
    record_delete(actor=actor, instance=sequence)


# -- steps ------------------------------------------------------------------------------------


def _require_edit(actor: User, sequence: Sequence) -> None:
    if not access.can(actor, Action.EDIT, sequence):
        raise Forbidden("You may not change this sequence.")
    if sequence.status == SequenceStatus.ARCHIVED:
        raise ValidationFailed(fields={"status": ["An archived sequence cannot change."]})


def _touch(actor: User, sequence: Sequence) -> None:
    Sequence.objects.filter(pk=sequence.pk).update(updated_at=timezone.now(), updated_by=actor)


def step_add(*, actor: User, sequence: Sequence, data: dict[str, Any]) -> SequenceStep:
    """Insert a step at `position` (default: last); later steps and targets move down one."""
    _require_edit(actor, sequence)
    config = step_config_clean(data.get("type"), data.get("config") or {})
    with transaction.atomic():
        Sequence.objects.select_for_update().filter(pk=sequence.pk).first()
        count = sequence.steps.count()
        if count >= MAX_STEPS:
            raise ValidationFailed(fields={"steps": [f"At most {MAX_STEPS} steps."]})
        position = data.get("position") or count + 1
        if not 1 <= position <= count + 1:
            raise ValidationFailed(fields={"position": [f"Give 1 to {count + 1}."]})
        order = list(sequence.steps.order_by("position"))
        step = SequenceStep(sequence=sequence, position=0, type=data["type"], config=config)
        order.insert(position - 1, step)
        _renumber(sequence, order, inserted=step)
        _touch(actor, sequence)
    return step


def step_update(
    *, actor: User, step: SequenceStep, data: dict[str, Any], version: int | None
) -> SequenceStep:
    _require_edit(actor, step.sequence)
    step_type = data.get("type", step.type)
    config = data.get("config", step.config if step_type == step.type else {})
    step.config = step_config_clean(step_type, config)
    step.type = step_type
    with transaction.atomic():
        claim_version(step, version)
        step.save(update_fields=["type", "config"])
        _touch(actor, step.sequence)
    return step


def step_delete(*, actor: User, step: SequenceStep) -> None:
    """Delete a step (and its run statistics); targets pointing at it move to its successor."""
    sequence = step.sequence
    _require_edit(actor, sequence)
    with transaction.atomic():
        order = [row for row in sequence.steps.order_by("position") if row.pk != step.pk]
        step.delete()
        _renumber(sequence, order, removed_position=step.position)
        _touch(actor, sequence)


def step_reorder(*, actor: User, sequence: Sequence, step_ids: list[int]) -> list[SequenceStep]:
    """Put the steps in the order of `step_ids` (every step once); branch targets and the
    enrollments' positions follow their steps."""
    _require_edit(actor, sequence)
    steps = {step.pk: step for step in sequence.steps.all()}
    if sorted(step_ids) != sorted(steps) or len(set(step_ids)) != len(step_ids):
        raise ValidationFailed(fields={"step_ids": ["List every step of the sequence once."]})
    with transaction.atomic():
        order = [steps[pk] for pk in step_ids]
        _renumber(sequence, order)
        _touch(actor, sequence)
    return order


def _renumber(
    sequence: Sequence,
    order: list[SequenceStep],
    *,
    inserted: SequenceStep | None = None,
    removed_position: int | None = None,
) -> None:
    """Write positions 1..M in `order`, remapping branch targets and open enrollments from the
    old positions to the new ones (steps first moved out of the way so the unique position
    never collides; enrollments in one CASE update, so a swap cannot cascade)."""
    mapping = {step.position: index for index, step in enumerate(order, 1) if step is not inserted}
    if removed_position is not None:
        successor = next((p for p in sorted(mapping) if p > removed_position), None)
        mapping[removed_position] = mapping[successor] if successor else None
    sequence.steps.update(position=F("position") + 10_000)
    for index, step in enumerate(order, 1):
        step.position = index
        if step.type == StepType.BRANCH and step is not inserted:
            step.config = {**step.config, **_remap_targets(step, mapping)}
        if step.pk is None:
            step.save()
        else:
            SequenceStep.objects.filter(pk=step.pk).update(position=index, config=step.config)
    whens = [When(position=old, then=Value(new)) for old, new in mapping.items()]
    if whens:
        Enrollment.objects.filter(sequence=sequence, state__in=OPEN_STATES).update(
            position=Case(*whens, default=F("position"), output_field=IntegerField())
        )


def _remap_targets(step: SequenceStep, mapping: dict[int, int | None]) -> dict[str, Any]:
    return {
        key: mapping.get(step.config[key], step.config[key])
        for key in ("yes", "no")
        if step.config.get(key) is not None
    }
