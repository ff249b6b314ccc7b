"""Writes on job records that people make: retrying a failed job, and pruning old records.
(The records themselves are written from Huey's signals, see tracking.py.)"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY
from huey.exceptions import HueyException

from cyclecrm.core.errors import Conflict, Forbidden
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.jobs import selectors
from cyclecrm.jobs.models import FINAL_STATES, RETRYABLE_STATES, Job, JobState
from cyclecrm.jobs.tracking import summarize

NOT_RETRYABLE_STATE = "Only failed, revoked or expired jobs can be retried (this one is {state})."
NO_ARGUMENTS = "This job's arguments were not recorded, so it cannot be run again from here."
UNKNOWN_TASK = "No task {name} is registered any more."
PRUNE_BATCH = 1000


def job_retry(*, actor: User, job_id: int) -> Job:
    """Enqueue the job's task again with the same arguments, as a new job linked to this one.
    Tasks are idempotent (docs/deployment.md), so a retry never repeats finished work twice."""
    job = selectors.job_get(actor=actor, pk=job_id)
    if not access.can(actor, Action.EDIT, job):
        raise Forbidden("You may not retry jobs.")
    if job.state not in RETRYABLE_STATES:
        raise Conflict(NOT_RETRYABLE_STATE.format(state=job.state), code="job_not_retryable")
    if job.payload is None:
        raise Conflict(NO_ARGUMENTS, code="job_not_retryable")
    autodiscover_modules("tasks")  # a web process has imported only the tasks it enqueued
    try:
        task_class = HUEY._registry.string_to_task(job.task_name)
    except HueyException as exc:
        raise Conflict(UNKNOWN_TASK.format(name=job.task_name), code="job_not_retryable") from exc
    task = task_class(tuple(job.payload.get("args", ())), dict(job.payload.get("kwargs", {})))
    summary, payload = summarize(task)
    with transaction.atomic():
        new = Job.objects.create(
            task_id=task.id,
            task_name=job.task_name,
            periodic=job.periodic,
            args_summary=summary,
            payload=payload,
            retries_left=task.retries or 0,
            retry_of=job,
        )
        transaction.on_commit(lambda: HUEY.enqueue(task))
    return new


def jobs_prune(*, now: datetime | None = None) -> int:
    """Delete ended job records past their retention (CYCLECRM["JOBS_KEEP_DAYS"], failed ones
    CYCLECRM["JOBS_KEEP_FAILED_DAYS"]), in batches so the table is not locked for long."""
    now = now or timezone.now()
    keep = settings.CYCLECRM
    cutoffs = {
        state: now - timedelta(days=keep["JOBS_KEEP_FAILED_DAYS"])
        if state == JobState.FAILED
        else now - timedelta(days=keep["JOBS_KEEP_DAYS"])
        for state in FINAL_STATES
    }
    deleted = 0
    for state, cutoff in cutoffs.items():
        while True:
            ids = list(
                Job.objects.filter(state=state, finished_at__lt=cutoff).values_list(
                    "id", flat=True
                )[:PRUNE_BATCH]
            )
            if not ids:
                break
            deleted += Job.objects.filter(id__in=ids).delete()[0]
    return deleted
