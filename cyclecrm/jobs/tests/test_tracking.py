"""Job records from Huey's signals, in immediate mode (the consumer tests run the real queue)."""

from typing import Any

import pytest
from huey.contrib.djhuey import db_task

from cyclecrm.jobs.backoff import Backoff, attempt_number, retrying_task
from cyclecrm.jobs.models import Job, JobState
from cyclecrm.jobs.tracking import summarize

pytestmark = pytest.mark.django_db


@db_task()
def add_up(a: int, b: int) -> int:
    return a + b


@db_task()
def explode(reason: str) -> None:
    raise RuntimeError(reason)


@db_task()
def log_in(username: str, password: str = "") -> None:
    """Test-only: a task whose keyword argument looks secret."""


@retrying_task(retries=4, backoff=Backoff(base=10, cap=25, jitter=0))
def flaky() -> None:
    """Test-only: declares retries with back-off."""


def test_a_finished_job_is_recorded_with_its_arguments(immediate_queue):
    result = add_up(2, b=3)

    job = Job.objects.get(task_id=result.id)
    assert job.state == JobState.FINISHED
    assert job.task_name == "cyclecrm.jobs.tests.test_tracking.add_up"
    assert job.short_name == "add_up"
    assert job.args_summary == "2, b=3"
    assert job.payload == {"args": [2], "kwargs": {"b": 3}}
    assert job.attempts == 1
    assert job.started_at is not None and job.finished_at is not None
    assert job.duration_ms is not None


def test_a_failed_job_keeps_its_error_and_traceback(immediate_queue):
    result = explode("boom")

    job = Job.objects.get(task_id=result.id)
    assert job.state == JobState.FAILED
    assert (job.error_type, job.error_message) == ("RuntimeError", "boom")
    assert "raise RuntimeError(reason)" in job.error_traceback
    assert job.can_be_retried


def test_secret_looking_arguments_are_masked_and_not_kept_for_retry(immediate_queue):
    result = log_in("ada", password="hunter2")

    job = Job.objects.get(task_id=result.id)
    assert job.args_summary == "'ada', password=***"
    assert "hunter2" not in str(job.payload)
    assert job.payload is None
    assert not job.can_be_retried


def test_arguments_that_are_not_json_are_summarized_only():
    summary, payload = summarize(add_up.s({1, 2}, b=object.__new__(object)))
    assert summary.startswith("{1, 2}, b=<object object")
    assert payload is None


def test_a_long_argument_is_cut_in_the_summary():
    summary, payload = summarize(add_up.s("x" * 500, b=1))
    assert len(summary) < 100
    assert payload == {"args": ["x" * 500], "kwargs": {"b": 1}}


def test_reports_from_several_processes_update_one_row_in_any_order():
    task = add_up.s(1, 2)
    from cyclecrm.jobs.tracking import _HANDLERS

    # the worker reports it running before the enqueuing process recorded it
    _HANDLERS["executing"](task)
    _HANDLERS["enqueued"](task)
    _HANDLERS["complete"](task)
    _HANDLERS["complete"](task)

    job = Job.objects.get(task_id=task.id)
    assert Job.objects.filter(task_id=task.id).count() == 1
    assert (job.state, job.attempts) == (JobState.FINISHED, 1)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [(1, 0.5, 10.0), (2, 0.5, 20.0), (3, 0.5, 40.0), (10, 0.5, 600.0), (1, 0.0, 9.0), (1, 1, 11)],
)
def test_backoff_doubles_up_to_the_cap_with_jitter(attempt, rand, expected):
    backoff = Backoff(base=10, cap=600, jitter=0.1)
    assert backoff.delay(attempt, rand=lambda: rand) == expected


def test_retrying_task_sets_the_next_delay_when_huey_retries():
    from cyclecrm.jobs.backoff import apply_backoff

    task: Any = flaky.s()
    delays = []
    for _ in range(4):
        apply_backoff("retrying", task)
        delays.append(task.retry_delay)
        task.retries -= 1  # as Huey does when it re-schedules the task
    assert delays == [10, 20, 25, 25]
    assert attempt_number(task) == 5
