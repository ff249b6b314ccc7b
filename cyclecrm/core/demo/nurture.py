"""Demo step for nurture sequences: one active welcome sequence (e-mail, wait, branch on the
click, task or lifecycle change) owned by the marketer, with contacts at different steps and a
few finished or exited, so the statistics and the contact panels have something to show."""

import datetime as dt
import random
from typing import Any

from cyclecrm.activities.models import Channel, DeliveryStatus, Direction, Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.nurture.models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    ExitReason,
    RunStatus,
    Sequence,
    SequenceStatus,
    SequenceStep,
    StepRun,
)

ENROLLED = 30
STEPS = [
    ("send_email", {"subject": "Welcome, {{ contact.first_name }}",
                    "body": "Thanks for your interest. Here is how to get started."}),
    ("wait", {"days": 3}),
    ("branch", {"condition": {"type": "clicked"}, "yes": 4, "no": 5}),
    ("create_task", {"title": "Call: clicked the welcome mail", "description": "",
                     "due_in_days": 1, "assign_to": "contact_owner"}),
    ("wait", {"weekdays": [1], "time": "10:00"}),
    ("set_lifecycle_stage", {"stage": "mql"}),
]  # fmt: skip


def build_nurture(context: DemoContext) -> None:
    rng = context.rng("nurture")
    owner = context.users.get("marketer") or context.users.get("admin")
    sequence = Sequence.objects.create(
        name="Welcome series",
        description="New subscribers: welcome mail, a nudge, and a call for those who click.",
        status=SequenceStatus.ACTIVE,
        owner=owner,
        created_by=owner,
    )
    steps = SequenceStep.objects.bulk_create(
        SequenceStep(sequence=sequence, position=n, type=kind, config=config)
        for n, (kind, config) in enumerate(STEPS, 1)
    )
    ids = list(
        Contact.objects.filter(consent_email=True).order_by("id").values_list("id", flat=True)
    )
    for contact_id in rng.sample(ids, min(ENROLLED, len(ids))):
        _enroll(context, rng, sequence, steps, contact_id, owner)
    context.counts["sequences"] = 1


def _enroll(
    context: DemoContext,
    rng: random.Random,
    sequence: Sequence,
    steps: list[SequenceStep],
    contact_id: int,
    owner: Any,
) -> None:
    reached = rng.randint(1, len(steps) + 1)  # the step they are at; len+1: finished
    started = context.now - dt.timedelta(days=rng.randint(reached, reached + 10))
    finished = reached > len(steps)
    exited = not finished and rng.random() < 0.1
    enrollment = Enrollment.objects.create(
        sequence=sequence,
        contact_id=contact_id,
        state=EnrollmentState.EXITED
        if exited
        else (EnrollmentState.COMPLETED if finished else EnrollmentState.ACTIVE),
        exit_reason=ExitReason.REPLIED if exited else "",
        position=None if finished or exited else reached,
        visit=reached - 1,
        next_run_at=None
        if finished or exited
        else context.now + dt.timedelta(hours=rng.randint(1, 72)),
        source=rng.choice([EnrollmentSource.SEGMENT, EnrollmentSource.HAND, EnrollmentSource.FORM]),
        enrolled_by=owner,
        enrolled_at=started,
        finished_at=context.now if finished or exited else None,
    )
    done = list(enumerate(steps[: reached - 1], 1))
    sends = [
        Interaction(
            channel=Channel.EMAIL, direction=Direction.OUTBOUND, contact_id=contact_id,
            subject=sequence.name, body="<p>Sequence e-mail</p>",
            occurred_at=started + dt.timedelta(days=n - 1), owner=owner,
            delivery_status=DeliveryStatus.SENT,
        )
        for n, step in done
        if step.type == "send_email"
    ]  # fmt: skip
    Interaction.objects.bulk_create(sends)
    sent = iter(sends)
    # one roll per e-mail: half are opened, a fifth clicked (and so opened too)
    rolls = {n: rng.random() for n, step in done if step.type == "send_email"}
    StepRun.objects.bulk_create(
        StepRun(
            enrollment=enrollment,
            step=step,
            attempt=n,
            status=RunStatus.DONE,
            outcome="sent" if step.type == "send_email" else "",
            interaction=next(sent) if step.type == "send_email" else None,
            opened_at=started if rolls.get(n, 1) < 0.5 else None,
            clicked_at=started if rolls.get(n, 1) < 0.2 else None,
            at=started + dt.timedelta(days=n - 1),
        )
        for n, step in done
    )  # fmt: skip
