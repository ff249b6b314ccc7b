"""The sequence engine: a per-minute job advances every due enrollment (ADR 16).

One step per transaction: lock the enrollment (skipping rows another worker holds on
PostgreSQL), check the exit conditions, run the step unless its run for this visit is already
recorded, record the run, and move the enrollment to its next step and time. Steps that do not
wait follow each other in the same tick, at most MAX_STEPS_PER_TICK (a branch loop without a
wait cannot spin). A step failing with a domain error (e.g. a lead status transition that is not
allowed) is recorded as failed and the enrollment moves on."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.core.db.vendor import lock_skipping_locked
from cyclecrm.core.errors import CrmError
from cyclecrm.integrations.selectors import is_tracking_note
from cyclecrm.mailings.selectors import is_campaign_tracking_note
from cyclecrm.nurture import schedule
from cyclecrm.nurture.actions import ACTIONS, Outcome
from cyclecrm.nurture.enrollment import exit_enrollment
from cyclecrm.nurture.models import (
    Enrollment,
    EnrollmentState,
    ExitReason,
    RunStatus,
    SequenceStatus,
    SequenceStep,
    StepRun,
    StepType,
)
from cyclecrm.pipeline.models import Opportunity, StageKind

logger = logging.getLogger(__name__)
BATCH = 200
MAX_STEPS_PER_TICK = 25


def run_due(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Advance up to `batch` due enrollments; returns how many steps ran."""
    now = now or timezone.now()
    ids = list(
        Enrollment.objects.filter(
            state=EnrollmentState.ACTIVE,
            next_run_at__lte=now,
            sequence__status=SequenceStatus.ACTIVE,
        )
        .order_by("next_run_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(enrollment_advance(enrollment_id=pk, now=now) for pk in ids)


def enrollment_advance(*, enrollment_id: int, now: dt.datetime | None = None) -> int:
    """Run the enrollment's due steps; returns how many ran (0 if it was not due or locked)."""
    now = now or timezone.now()
    ran = 0
    while ran < MAX_STEPS_PER_TICK and _step_once(enrollment_id, now):
        ran += 1
    return ran


def _step_once(enrollment_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        due = Enrollment.objects.filter(
            pk=enrollment_id,
            state=EnrollmentState.ACTIVE,
            next_run_at__lte=now,
            sequence__status=SequenceStatus.ACTIVE,
        )
        enrollment = (
            lock_skipping_locked(due).select_related("sequence__owner", "contact", "lead").first()
        )
        if enrollment is None:
            return False
        reason = exit_reason(enrollment)
        if reason:
            exit_enrollment(enrollment, reason)
            return False
        step = None
        if enrollment.position is not None:
            step = enrollment.sequence.steps.filter(position=enrollment.position).first()
        if step is None:
            _complete(enrollment, now)
            return False
        run = _run(enrollment, step, now)
        _move_on(enrollment, step, run)
        return True


def _run(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> StepRun:
    """The run of this visit: the recorded one if it exists (a retried tick acts no twice),
    else the step is executed now and its run recorded."""
    attempt = enrollment.visit + 1
    recorded = StepRun.objects.filter(enrollment=enrollment, step=step, attempt=attempt).first()
    if recorded is not None:
        return recorded
    try:
        with transaction.atomic():
            outcome = ACTIONS[step.type](enrollment, step, now)
    except CrmError as exc:
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items()) or exc.message
        logger.info("sequence step %s failed for enrollment %s: %s", step.pk, enrollment.pk, detail)
        outcome = Outcome(RunStatus.FAILED, detail[:200])
    return StepRun.objects.create(
        enrollment=enrollment,
        step=step,
        attempt=attempt,
        status=outcome.status,
        outcome=outcome.outcome[:200],
        interaction=outcome.interaction,
        at=now,
    )


def _next_position(enrollment: Enrollment, step: SequenceStep, run: StepRun) -> int | None:
    if step.type == StepType.BRANCH and run.status == RunStatus.DONE:
        return step.config.get("yes" if run.outcome == "yes" else "no")
    return (
        enrollment.sequence.steps.filter(position__gt=step.position)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )


def wait_until(step: SequenceStep, entered: dt.datetime) -> dt.datetime:
    config = step.config
    if config.get("weekdays"):
        at = dt.time.fromisoformat(config["time"])
        return schedule.next_weekday_time(entered, weekdays=config["weekdays"], at=at)
    return schedule.after_delay(entered, days=config.get("days", 0), hours=config.get("hours", 0))


def _move_on(enrollment: Enrollment, step: SequenceStep, run: StepRun) -> None:
    """Point the enrollment at its next step; a wait holds it until the wait ends, even as the
    last step (then it completes when the wait is over)."""
    position = _next_position(enrollment, step, run)
    enrollment.visit += 1
    waits = step.type == StepType.WAIT and run.status == RunStatus.DONE
    if position is None and not waits:
        _complete(enrollment, run.at)
        return
    enrollment.position = position
    enrollment.next_run_at = wait_until(step, run.at) if waits else run.at
    enrollment.save(update_fields=["position", "visit", "next_run_at"])


def _complete(enrollment: Enrollment, now: dt.datetime) -> None:
    enrollment.state = EnrollmentState.COMPLETED
    enrollment.position = None
    enrollment.next_run_at = None
    enrollment.finished_at = now
    enrollment.save(update_fields=["state", "position", "visit", "next_run_at", "finished_at"])


def exit_reason(enrollment: Enrollment) -> str:
    """Why the enrollment must end before its next step, or ""."""
    sequence = enrollment.sequence
    person = enrollment.contact or enrollment.lead
    if sequence.exit_on_unsubscribe and getattr(person, "do_not_contact", False):
        return ExitReason.UNSUBSCRIBED
    if sequence.exit_on_reply and _replied(enrollment):
        return ExitReason.REPLIED
    if sequence.exit_on_conversion and _converted(enrollment):
        return ExitReason.CONVERTED
    return ""


def _replied(enrollment: Enrollment) -> bool:
    inbound = (
        Interaction.objects.filter(
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            occurred_at__gte=enrollment.enrolled_at,
        )
        .exclude(is_tracking_note())
        .exclude(is_campaign_tracking_note())
    )
    if enrollment.contact_id:
        return inbound.filter(contact_id=enrollment.contact_id).exists()
    return inbound.filter(lead_id=enrollment.lead_id).exists()


def _converted(enrollment: Enrollment) -> bool:
    if enrollment.lead_id and enrollment.lead.converted_at is not None:
        return True
    if enrollment.contact_id is None:
        return False
    return Opportunity.objects.filter(
        contact_id=enrollment.contact_id,
        stage__kind=StageKind.WON,
        closed_at__gte=enrollment.enrolled_at,
    ).exists()
