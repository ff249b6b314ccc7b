"""Reads for the job page and API, through the one permission gate (record type `job`)."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.jobs.models import Job, JobState

# Newest first by default; every ordering is backed by an index ending in id.
JOB_ORDERINGS = orderings_with_reverse({"enqueued": ("enqueued_at", "id")})
DEFAULT_ORDERING = "-enqueued"


@dataclass(frozen=True)
class JobFilters:
    state: str | None = None
    task: str | None = None

    def check(self) -> None:
        if self.state and self.state not in JobState.values:
            raise ValidationFailed(
                fields={"state": [f"Choose one of: {', '.join(JobState.values)}."]}
            )


def job_list(
    *, actor: User, filters: JobFilters | None = None, action: str = Action.READ
) -> QuerySet[Job]:
    """Jobs the actor may see, filtered by state and task (the full name, or its last part)."""
    queryset = access.restrict(Job.objects.all(), actor, action)
    filters = filters or JobFilters()
    filters.check()
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.task:
        if "." in filters.task:
            queryset = queryset.filter(task_name=filters.task)
        else:
            queryset = queryset.filter(task_name__endswith=f".{filters.task}")
    return queryset


def job_get(*, actor: User, pk: Any, action: str = Action.READ) -> Job:
    job = None
    if str(pk).isdigit() and int(pk) < 2**63:
        job = job_list(actor=actor, action=action).filter(pk=pk).first()
    if job is None:
        raise NotFound("No job with this id.")
    return job


def job_state_counts(*, actor: User, task: str | None = None) -> dict[str, int]:
    """Jobs per state (every state present, zero when none), for the task filter in use."""
    rows = (
        job_list(actor=actor, filters=JobFilters(task=task))
        .order_by()
        .values("state")
        .annotate(count=Count("id"))
    )
    counts = dict.fromkeys(JobState.values, 0)
    counts.update({row["state"]: row["count"] for row in rows})
    return counts


def job_task_names(*, actor: User) -> list[str]:
    """The task names recorded, for the filter menu."""
    return list(
        job_list(actor=actor).order_by("task_name").values_list("task_name", flat=True).distinct()
    )
