"""Demo step: onboarding checklists. Every won demo opportunity with an account gets the
onboarding the pipeline services would have started when it was won: the default template's
steps as tasks, due from the win day on. Steps due well before today are done (a few
cancelled), so older customers show completed checklists and recent ones open steps."""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from cyclecrm.activities.models import PRIORITY_RANK, Task, TaskPriority, TaskStatus
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.records import _moment
from cyclecrm.pipeline.models import Onboarding, OnboardingStepTemplate, Opportunity, StageKind
from cyclecrm.pipeline.services import onboarding_template_default
from cyclecrm.pipeline.services.onboarding import STEP_DUE_TIME

DONE_AFTER_DAYS = 2  # a step due this long ago is done
CANCELLED_SHARE = 0.05


def build_onboardings(context: DemoContext) -> None:
    rng = context.rng("onboardings")
    won = [
        opportunity
        for opportunity in getattr(context, "opportunities", [])
        if opportunity.stage.kind == StageKind.WON and opportunity.account_id
    ]
    template = onboarding_template_default() if won else None
    steps = (
        list(template.steps.select_related("default_assignee").order_by("position", "id"))
        if template
        else []
    )
    onboardings = [
        Onboarding(
            account_id=opportunity.account_id,
            opportunity=opportunity,
            template=template,
            started_at=opportunity.closed_at or context.now,
        )
        for opportunity in won
    ]
    Onboarding.objects.bulk_create(onboardings, batch_size=context.options.batch_size)
    tasks = [
        _step(context, rng, onboarding, step, number)
        for onboarding in onboardings
        for number, step in enumerate(steps, start=1)
    ]
    Task.objects.bulk_create(tasks, batch_size=context.options.batch_size)
    completed = _complete(onboardings, tasks)
    context.counts["onboardings"] = len(onboardings)
    context.counts["onboarding steps"] = len(tasks)
    context.log(f"  {len(onboardings)} onboardings ({completed} completed), {len(tasks)} steps")


def _step(
    context: DemoContext,
    rng: random.Random,
    onboarding: Onboarding,
    step: OnboardingStepTemplate,
    number: int,
) -> Task:
    opportunity: Opportunity = onboarding.opportunity  # type: ignore[assignment]
    won_day = timezone.localdate(onboarding.started_at)
    due_day = won_day + dt.timedelta(days=step.due_offset_days)
    due = timezone.make_aware(dt.datetime.combine(due_day, STEP_DUE_TIME))
    status, completed = TaskStatus.OPEN, None
    if due < context.now - dt.timedelta(days=DONE_AFTER_DAYS):
        status = TaskStatus.CANCELLED if rng.random() < CANCELLED_SHARE else TaskStatus.DONE
        if status == TaskStatus.DONE:
            completed = _moment(rng, onboarding.started_at, min(context.now, due))
    owner = step.default_assignee or opportunity.owner
    fields: dict[str, Any] = {
        "owner": owner,
        "team": context.home_team.get(owner.pk) if owner else None,
        "created_by": opportunity.owner,
        "updated_by": opportunity.owner,
    }
    return Task(
        title=step.title,
        description=f"Onboarding step {number} for “{opportunity}”.",
        due_at=due,
        due_key=due,
        priority=TaskPriority.NORMAL,
        priority_rank=PRIORITY_RANK[TaskPriority.NORMAL],
        status=status,
        completed_at=completed,
        account_id=onboarding.account_id,
        opportunity=opportunity,
        onboarding=onboarding,
        created_at=onboarding.started_at,
        updated_at=completed or onboarding.started_at,
        **fields,
    )


def _complete(onboardings: list[Onboarding], tasks: list[Task]) -> int:
    """Mark the onboardings whose steps are all done or cancelled as completed (as
    `onboarding_refresh` would), at their last step's completion; returns how many."""
    last_done: dict[int, dt.datetime | None] = {}
    open_ids = set()
    for task in tasks:
        if task.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS):
            open_ids.add(task.onboarding_id)
        elif task.completed_at:
            previous = last_done.get(task.onboarding_id)
            last_done[task.onboarding_id] = max(filter(None, (previous, task.completed_at)))
    done = [
        onboarding
        for onboarding in onboardings
        if onboarding.pk not in open_ids and last_done.get(onboarding.pk)
    ]
    for onboarding in done:
        onboarding.completed_at = last_done[onboarding.pk]
    Onboarding.objects.bulk_update(done, ["completed_at"], batch_size=500)
    return len(done)
