"""Enrolling contacts (or leads) into a sequence, and pausing, resuming or removing them.

`enroll(...)` is the one entry point every source uses: by hand (pages, API), a segment, a capture
form submission (hooks.py) and, later, workflow rules through the automation action registry.
It is bulk and transactional, skips people already in the sequence, and starts each new
enrollment at the first step, due at once (the per-minute job runs it)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.leads.models import Lead
from cyclecrm.nurture.models import (
    OPEN_STATES,
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    ExitReason,
    Sequence,
    SequenceStatus,
)
from cyclecrm.segments.models import Segment
from cyclecrm.segments.selectors import segment_members

MAX_BATCH = 5000
MAX_SEGMENT = 50_000
NOT_ENROLLABLE = "Only an active or paused sequence takes enrollments."


@dataclass(frozen=True)
class EnrollResult:
    enrolled: int
    skipped: int


def _check_sequence(actor: User, sequence: Sequence, source: str) -> None:
    if source not in EnrollmentSource.values:
        raise ValidationFailed(fields={"source": [f"Use one of {', '.join(EnrollmentSource)}."]})
    if not access.can(actor, Action.EDIT, sequence):
        raise Forbidden("You may not enroll people into this sequence.")
    if sequence.status not in (SequenceStatus.ACTIVE, SequenceStatus.PAUSED):
        raise ValidationFailed(NOT_ENROLLABLE, fields={"status": [NOT_ENROLLABLE]})


def _visible_ids(actor: User, model: type, ids: list[int], field: str) -> list[int]:
    visible = set(
        access.restrict(model.objects.filter(pk__in=ids), actor).values_list("pk", flat=True)
    )
    missing = [pk for pk in ids if pk not in visible]
    if missing:
        raise ValidationFailed(fields={field: [f"No record you may see with id {missing[0]}."]})
    return ids


def enroll(
    *,
    sequence: Sequence,
    contacts: Iterable[Contact | int],
    source: str,
    actor: User,
    leads: Iterable[Lead | int] = (),
) -> EnrollResult:
    """Enroll contacts (and leads without a contact) the actor may read into `sequence`."""
    _check_sequence(actor, sequence, source)
    contact_ids = list(dict.fromkeys(getattr(c, "pk", c) for c in contacts))
    lead_ids = list(dict.fromkeys(getattr(lead, "pk", lead) for lead in leads))
    if len(contact_ids) + len(lead_ids) > MAX_BATCH:
        raise ValidationFailed(fields={"contact_ids": [f"At most {MAX_BATCH} at once."]})
    _visible_ids(actor, Contact, contact_ids, "contact_ids")
    _visible_ids(actor, Lead, lead_ids, "lead_ids")
    return enroll_unchecked(sequence, contact_ids, lead_ids, source, actor)


def enroll_unchecked(
    sequence: Sequence, contact_ids: list[int], lead_ids: list[int], source: str, actor: User
) -> EnrollResult:
    """Enroll these ids without checking rights or visibility: for `enroll` after its checks
    and for system sources (form submissions) that act for nobody in particular."""
    now = timezone.now()
    first = sequence.steps.order_by("position").values_list("position", flat=True).first()
    with transaction.atomic():
        Sequence.objects.select_for_update().filter(pk=sequence.pk).first()
        open_rows = Enrollment.objects.filter(sequence=sequence, state__in=OPEN_STATES)
        taken_contacts = set(
            open_rows.filter(contact_id__in=contact_ids).values_list("contact_id", flat=True)
        )
        taken_leads = set(
            open_rows.filter(contact__isnull=True, lead_id__in=lead_ids).values_list(
                "lead_id", flat=True
            )
        )
        common = {
            "sequence": sequence,
            "state": EnrollmentState.ACTIVE,
            "position": first,
            "next_run_at": now,
            "source": source,
            "enrolled_by": actor,
            "enrolled_at": now,
        }
        rows = [
            Enrollment(contact_id=pk, **common) for pk in contact_ids if pk not in taken_contacts
        ]
        rows += [Enrollment(lead_id=pk, **common) for pk in lead_ids if pk not in taken_leads]
        Enrollment.objects.bulk_create(rows)
    total = len(contact_ids) + len(lead_ids)
    return EnrollResult(enrolled=len(rows), skipped=total - len(rows))


def enroll_segment(*, actor: User, sequence: Sequence, segment: Segment) -> EnrollResult:
    """Enroll the segment's members the actor may read (at most MAX_SEGMENT), in batches inside
    one transaction so a failure enrolls nobody."""
    _check_sequence(actor, sequence, EnrollmentSource.SEGMENT)
    ids = list(segment_members(actor=actor, segment=segment).values_list("pk", flat=True))
    if len(ids) > MAX_SEGMENT:
        raise ValidationFailed(fields={"segment_id": [f"At most {MAX_SEGMENT} members."]})
    enrolled = skipped = 0
    with transaction.atomic():
        for start in range(0, len(ids), MAX_BATCH):
            batch = enroll_unchecked(
                sequence, ids[start : start + MAX_BATCH], [], EnrollmentSource.SEGMENT, actor
            )
            enrolled, skipped = enrolled + batch.enrolled, skipped + batch.skipped
    return EnrollResult(enrolled=enrolled, skipped=skipped)


def _require_edit(actor: User, enrollment: Enrollment) -> None:
    if not access.can(actor, Action.EDIT, enrollment.sequence):
        raise Forbidden("You may not change enrollments of this sequence.")


def enrollment_pause(*, actor: User, enrollment: Enrollment) -> Enrollment:
    _require_edit(actor, enrollment)
    if enrollment.state != EnrollmentState.ACTIVE:
        raise ValidationFailed(fields={"state": ["Only an active enrollment can be paused."]})
    enrollment.state = EnrollmentState.PAUSED
    enrollment.save(update_fields=["state"])
    return enrollment


def enrollment_resume(*, actor: User, enrollment: Enrollment) -> Enrollment:
    """Resume a paused enrollment; a wait that ended meanwhile runs at the next tick."""
    _require_edit(actor, enrollment)
    if enrollment.state != EnrollmentState.PAUSED:
        raise ValidationFailed(fields={"state": ["Only a paused enrollment can be resumed."]})
    enrollment.state = EnrollmentState.ACTIVE
    enrollment.save(update_fields=["state"])
    return enrollment


def enrollment_exit(
    *, actor: User, enrollment: Enrollment, reason: str = ExitReason.MANUAL
) -> Enrollment:
    """Unenroll: the enrollment ends as exited and runs no further step."""
    _require_edit(actor, enrollment)
    if enrollment.state not in OPEN_STATES:
        raise ValidationFailed(fields={"state": ["This enrollment has already ended."]})
    exit_enrollment(enrollment, reason)
    return enrollment


def exit_enrollment(enrollment: Enrollment, reason: str) -> None:
    """End an enrollment for `reason` (no rights check: the engine and hooks call this)."""
    enrollment.state = EnrollmentState.EXITED
    enrollment.exit_reason = reason
    enrollment.next_run_at = None
    enrollment.finished_at = timezone.now()
    enrollment.save(update_fields=["state", "exit_reason", "next_run_at", "finished_at"])
