"""Old job records go; recent ones, and failed ones for longer, stay."""

import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.jobs.models import Job, JobState
from cyclecrm.jobs.services import jobs_prune
from cyclecrm.jobs.tasks import prune_job_records
from cyclecrm.jobs.tests.conftest import make_job

pytestmark = pytest.mark.django_db


def test_ended_jobs_past_their_retention_are_deleted(settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "JOBS_KEEP_DAYS": 7, "JOBS_KEEP_FAILED_DAYS": 30}
    now = timezone.now()

    def ended(state: str, days: int) -> Job:
        return make_job(state=state, finished_at=now - dt.timedelta(days=days))

    old = [ended(JobState.FINISHED, 8), ended(JobState.REVOKED, 8), ended(JobState.FAILED, 31)]
    kept = [
        ended(JobState.FINISHED, 6),
        ended(JobState.FAILED, 8),
        make_job(state=JobState.QUEUED, enqueued_at=now - dt.timedelta(days=90)),
        make_job(state=JobState.RETRYING, finished_at=now - dt.timedelta(days=90)),
    ]

    assert jobs_prune(now=now) == len(old)
    assert set(Job.objects.values_list("pk", flat=True)) == {job.pk for job in kept}
    assert jobs_prune(now=now) == 0


def test_pruning_runs_nightly():
    from huey.contrib.djhuey import HUEY

    due = HUEY.read_periodic(dt.datetime(2031, 1, 1, 3, 41))
    assert prune_job_records.task_class in {type(task) for task in due}
    assert prune_job_records.task_class not in {
        type(task) for task in HUEY.read_periodic(dt.datetime(2031, 1, 1, 3, 42))
    }
