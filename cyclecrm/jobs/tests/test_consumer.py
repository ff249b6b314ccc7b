"""The real thing: a Huey consumer (scheduler + worker threads) on a real SQLite queue file and
on a real redis-server runs jobs end to end, and each job's record follows it."""

import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from huey import signals as S
from huey.contrib.djhuey import db_task

from cyclecrm.activities.models import DeliveryStatus
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.services.outbound import email_send
from cyclecrm.integrations.tasks import send_email
from cyclecrm.jobs.backoff import Backoff, retrying_task
from cyclecrm.jobs.models import Job, JobState
from cyclecrm.jobs.services import job_retry
from cyclecrm.jobs.tests.conftest import running_consumer, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TEST_BACKOFF = Backoff(base=0.2, cap=5, jitter=0)


@db_task(context=True)
def state_seen_by_the_job(label: str, task: Any = None) -> str:
    """Returns the state of its own job record while it runs."""
    return Job.objects.get(task_id=task.id).state


@retrying_task(retries=2, backoff=TEST_BACKOFF)
def always_fails(label: str) -> None:
    raise ValueError(f"broken {label}")


@db_task()
def fails_until_the_file_exists(path: str) -> str:
    if not Path(path).exists():
        raise FileNotFoundError(path)
    return "done"


def _job(result: Any) -> Job:
    return Job.objects.get(task_id=result.id)


def test_a_job_goes_queued_running_finished(real_queue):
    # given: enqueued while no worker runs
    result = state_seen_by_the_job("first")
    assert _job(result).state == JobState.QUEUED
    assert _job(result).args_summary == "'first'"

    # when
    with running_consumer(real_queue):
        seen = result.get(blocking=True, timeout=30)
        wait_for(lambda: _job(result).state == JobState.FINISHED)

    # then
    job = _job(result)
    assert seen == JobState.RUNNING
    assert job.task_name == "cyclecrm.jobs.tests.test_consumer.state_seen_by_the_job"
    assert job.attempts == 1
    assert job.enqueued_at <= job.started_at <= job.finished_at
    assert job.duration_ms is not None
    assert job.error_type == ""


def test_a_failing_job_is_retried_with_backoff_then_recorded_failed(real_queue):
    # given
    runs: list[float] = []
    delays: list[float] = []

    def watch(signal: str, task: Any, *args: Any) -> None:
        if type(task).__name__ != "always_fails":
            return
        if signal == S.SIGNAL_EXECUTING:
            runs.append(time.monotonic())
        elif signal == S.SIGNAL_SCHEDULED:
            delays.append(task.retry_delay)

    real_queue.signal(S.SIGNAL_EXECUTING, S.SIGNAL_SCHEDULED)(watch)
    try:
        # when
        result = always_fails("disk")
        with running_consumer(real_queue):
            wait_for(lambda: _job(result).state == JobState.FAILED)
    finally:
        real_queue.disconnect_signal(watch)

    # then: three attempts, 0.2 s then 0.4 s apart at least
    job = _job(result)
    assert job.attempts == 3
    assert delays == [0.2, 0.4]
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    assert len(gaps) == 2
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39
    assert job.error_type == "ValueError"
    assert job.error_message == "broken disk"
    assert 'raise ValueError(f"broken {label}")' in job.error_traceback
    assert job.retries_left == 0
    assert job.finished_at is not None


def test_a_failed_job_retried_from_the_job_page_runs_again(real_queue, admin, tmp_path):
    # given: a job that failed for want of a file
    flag = tmp_path / "ready"
    result = fails_until_the_file_exists(str(flag))
    with running_consumer(real_queue):
        wait_for(lambda: _job(result).state == JobState.FAILED)
        flag.write_text("now")

        # when
        retried = job_retry(actor=admin, job_id=_job(result).pk)
        wait_for(lambda: Job.objects.get(pk=retried.pk).state == JobState.FINISHED)

    # then
    retried.refresh_from_db()
    assert retried.retry_of_id == _job(result).pk
    assert retried.payload == {"args": [str(flag)], "kwargs": {}}
    assert _job(result).error_type == "FileNotFoundError"


def test_send_email_runs_on_the_worker_and_a_second_run_sends_nothing(
    real_queue, smtp_server, rep_a
):
    # given: an e-mail queued by the service (its job enqueued after commit)
    ada = make_contact(rep_a, email="ada@example.com")
    interaction = email_send(
        actor=rep_a, data={"contact": ada.pk, "subject": "Hello", "body": "Hi Ada"}
    )
    [job] = Job.objects.filter(task_name="cyclecrm.integrations.tasks.send_email")
    assert job.state == JobState.QUEUED

    # when: the worker sends it, then the same job runs once more
    with running_consumer(real_queue):
        wait_for(lambda: len(smtp_server.received) == 1)
        wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.FINISHED)
        again = send_email(interaction.pk)
        assert again.get(blocking=True, timeout=30) == DeliveryStatus.SENT

    # then
    interaction.refresh_from_db()
    assert interaction.delivery_status == DeliveryStatus.SENT
    assert len(smtp_server.received) == 1
    assert Job.objects.get(task_id=again.id).state == JobState.FINISHED
