"""The start-up sweep of `cyclecrm worker` (recovery.py, ADR 0033): which interrupted jobs go
back on the queue and which are marked failed. A real process is started and killed to stand
for the dead worker; the queue is a real SQLite queue file."""

import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from huey.contrib.djhuey import db_task

from cyclecrm.jobs.models import Job, JobState
from cyclecrm.jobs.recovery import (
    GAVE_UP,
    LOST,
    NOT_RESUMABLE,
    RESUME_LIMIT,
    jobs_resume_interrupted,
    leases_renew,
    worker_gone,
    worker_name,
)
from cyclecrm.jobs.tests.conftest import make_job, running_consumer, wait_for
from cyclecrm.jobs.tracking import INTERRUPTED

pytestmark = pytest.mark.django_db


@db_task()
def safe_to_rerun(number: int) -> int:
    return number


@db_task(resume=False)
def never_rerun(number: int) -> int:
    return number


@db_task()
def touch(path: str) -> None:
    Path(path).touch()


SAFE = f"{__name__}.safe_to_rerun"


def _dead_worker() -> str:
    """The worker name a process of this host had, the process now dead and reaped."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stat = open(f"/proc/{process.pid}/stat").read()  # noqa: SIM115 - read at once
    start = stat.rpartition(")")[2].split()[19]
    process.kill()
    process.wait()
    return f"{socket.gethostname()}/{process.pid}/{start}"


def _running(worker: str, **fields) -> Job:
    fields.setdefault("task_name", SAFE)
    return make_job(state=JobState.RUNNING, worker=worker, attempts=1, **fields)


def test_only_dead_workers_of_this_host_count_as_gone():
    dead = _dead_worker()
    _, pid, start = dead.split("/")

    assert worker_gone(dead)
    assert not worker_gone(worker_name())  # this very process
    assert worker_gone(worker_name().rpartition("/")[0] + "/1")  # our pid, an older process
    assert not worker_gone(f"elsewhere.example/{pid}/{start}")  # another host: not judged here
    assert not worker_gone("")


def test_a_dead_workers_job_is_queued_again_with_its_id_and_arguments(real_queue):
    # given
    job = _running(_dead_worker(), payload={"args": [7], "kwargs": {}}, retries_left=2)
    alive = _running(worker_name())

    # when
    sweep = jobs_resume_interrupted(huey=real_queue)

    # then
    assert sweep.resumed == [job.task_id] and sweep.failed == []
    [task] = real_queue.pending()
    assert (task.id, task.args, task.retries) == (job.task_id, (7,), 2)
    job.refresh_from_db()
    assert (job.state, job.resumes, job.worker) == (JobState.QUEUED, 1, "")
    assert Job.objects.get(pk=alive.pk).state == JobState.RUNNING
    assert jobs_resume_interrupted(huey=real_queue).resumed == []  # taken over once only


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"periodic": True}, INTERRUPTED),
        ({"payload": None}, INTERRUPTED),
        ({"resumes": RESUME_LIMIT}, GAVE_UP.format(count=RESUME_LIMIT + 1)),
        ({"task_name": f"{__name__}.never_rerun"}, NOT_RESUMABLE),
        ({"task_name": "cyclecrm.gone.tasks.removed"}, INTERRUPTED),
    ],
)
def test_jobs_that_may_not_run_again_are_marked_failed(real_queue, fields, reason):
    # given
    job = _running(_dead_worker(), **fields)

    # when
    sweep = jobs_resume_interrupted(huey=real_queue)

    # then
    assert sweep.failed == [job.task_id] and sweep.resumed == []
    assert real_queue.pending() == []
    job.refresh_from_db()
    assert (job.state, job.error_type, job.error_message) == (
        JobState.FAILED,
        "Interrupted",
        reason,
    )
    assert job.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_finished_jobs_task_id_queued_again_does_not_run(real_queue, tmp_path):
    # given: a finished job, and a second message of its task on the queue
    marker = tmp_path / "ran"
    first = touch.s(str(marker))
    make_job(task_id=first.id, task_name=f"{__name__}.touch", state=JobState.FINISHED)
    real_queue.enqueue(first)
    after = touch(str(tmp_path / "after"))

    # when: one worker thread takes them in order
    with running_consumer(real_queue, workers=1):
        wait_for(lambda: Job.objects.filter(task_id=after.id, state=JobState.FINISHED).exists())

    # then
    assert not marker.exists()
    assert Job.objects.get(task_id=first.id).state == JobState.FINISHED


def test_another_machines_job_is_taken_over_only_when_its_lease_ran_out(real_queue):
    # given jobs of workers on other machines: one lease run out, one current, one with none
    now = timezone.now()
    expired = _running("node-x/41/1", lease_expires=now - dt.timedelta(seconds=1))
    current = _running("node-y/42/1", lease_expires=now + dt.timedelta(seconds=60))
    unleased = _running("node-z/43/1")

    # when a worker sweeps
    sweep = jobs_resume_interrupted(huey=real_queue)

    # then only the job whose lease ran out is queued again
    assert sweep.resumed == [expired.task_id]
    assert Job.objects.get(pk=expired.pk).state == JobState.QUEUED
    states = Job.objects.filter(pk__in=[current.pk, unleased.pk]).values_list("state", flat=True)
    assert set(states) == {JobState.RUNNING}


def test_a_renewed_lease_is_not_taken_over(real_queue):
    # given this worker's running job, its lease about to run out (as seen by a slow sweep)
    mine = _running(worker_name(), lease_expires=timezone.now() - dt.timedelta(seconds=1))
    other = _running("node-x/41/1", lease_expires=timezone.now() - dt.timedelta(seconds=1))

    # when the worker renews its leases
    assert leases_renew() == 1

    # then its job's lease is extended, the other machine's is not
    mine.refresh_from_db()
    assert mine.lease_expires > timezone.now() + dt.timedelta(seconds=30)
    assert Job.objects.get(pk=other.pk).lease_expires < timezone.now()


def test_a_lease_renewed_between_the_read_and_the_take_over_wins(real_queue):
    from cyclecrm.jobs.recovery import _take_over

    job = _running("node-x/41/1", lease_expires=timezone.now() - dt.timedelta(seconds=1))
    Job.objects.filter(pk=job.pk).update(lease_expires=timezone.now() + dt.timedelta(seconds=60))

    assert not _take_over(job, state=JobState.QUEUED)
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


def _waiting(**fields) -> Job:
    """A job recorded as waiting whose message is on no queue: lost with a killed worker."""
    fields.setdefault("task_name", SAFE)
    return make_job(**fields)


def _lease_ran_out(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(lease_expires=timezone.now() - dt.timedelta(seconds=1))


def test_a_waiting_job_whose_message_stays_missing_for_a_lease_is_queued_again(real_queue):
    # given a queued job and a retrying one whose messages are in neither queue nor schedule
    queued = _waiting(payload={"args": [7], "kwargs": {}}, retries_left=2)
    retrying = _waiting(state=JobState.RETRYING, attempts=1, payload={"args": [8], "kwargs": {}})

    # when a worker sweeps, then sweeps again once a lease has passed
    first = jobs_resume_interrupted(huey=real_queue)
    noted, on_queue = Job.objects.get(pk=queued.pk).lease_expires, real_queue.pending()
    _lease_ran_out(queued)
    _lease_ran_out(retrying)
    second = jobs_resume_interrupted(huey=real_queue)

    # then the first sweep only noted the missing messages, the second queued them again once
    assert first.requeued == [] and on_queue == []
    assert noted > timezone.now() + dt.timedelta(seconds=60)
    assert sorted(second.requeued) == sorted([queued.task_id, retrying.task_id])
    tasks = {task.id: (task.args, task.retries) for task in real_queue.pending()}
    assert tasks == {queued.task_id: ((7,), 2), retrying.task_id: ((8,), 0)}
    for job in (queued, retrying):
        job.refresh_from_db()
        assert (job.state, job.resumes, job.lease_expires) == (JobState.QUEUED, 1, None)
    assert jobs_resume_interrupted(huey=real_queue).requeued == []  # on the queue now: once


def test_a_job_whose_message_is_on_the_queue_or_schedule_is_not_queued_again(real_queue):
    # given a queued job and a scheduled one, both noted missing once (seen in flight)
    pending = safe_to_rerun(1)
    later = safe_to_rerun.s(2)
    later.eta = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
    real_queue.add_schedule(later)
    jobs = Job.objects.filter(task_id__in=[pending.id, later.id])
    assert jobs.count() == 2
    jobs.update(lease_expires=timezone.now() - dt.timedelta(seconds=1))

    # when a worker sweeps
    sweep = jobs_resume_interrupted(huey=real_queue)

    # then neither is queued again, and the notes are cleared
    assert sweep.requeued == [] and sweep.failed == []
    assert [task.id for task in real_queue.pending()] == [pending.id]
    assert [task.id for task in real_queue.scheduled()] == [later.id]
    assert set(jobs.values_list("state", "lease_expires")) == {(JobState.QUEUED, None)}


@pytest.mark.parametrize(
    "fields",
    [{"periodic": True}, {"payload": None}, {"task_name": "cyclecrm.gone.tasks.removed"}],
)
def test_a_lost_job_that_cannot_run_again_is_marked_failed(real_queue, fields):
    job = _waiting(**fields)
    jobs_resume_interrupted(huey=real_queue)
    _lease_ran_out(job)

    sweep = jobs_resume_interrupted(huey=real_queue)

    assert sweep.failed == [job.task_id] and real_queue.pending() == []
    job.refresh_from_db()
    assert (job.state, job.error_type, job.error_message) == (
        JobState.FAILED,
        "Interrupted",
        LOST,
    )


def test_a_lost_job_never_started_is_queued_again_even_if_not_resumable(real_queue):
    # given a lost `resume=False` job, resumed to the limit already: it never began this time
    job = _waiting(task_name=f"{__name__}.never_rerun", resumes=RESUME_LIMIT, attempts=3)
    jobs_resume_interrupted(huey=real_queue)
    _lease_ran_out(job)

    assert jobs_resume_interrupted(huey=real_queue).requeued == [job.task_id]
    assert [task.id for task in real_queue.pending()] == [job.task_id]


def test_a_worker_recording_the_job_running_before_the_take_over_wins(real_queue):
    from cyclecrm.jobs.recovery import _claim_waiting

    # given a lost job as a sweep read it, then a slow worker records it running
    job = _waiting(lease_expires=timezone.now() - dt.timedelta(seconds=1))
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, attempts=1, worker=worker_name(), lease_expires=None
    )

    # when the sweep (or a second sweeping worker, after the first) claims it
    claimed = _claim_waiting(job, state=JobState.QUEUED, lease_expires=None)

    # then the claim fails: the job stays with its worker
    assert not claimed
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
