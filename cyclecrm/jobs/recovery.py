"""Resuming the jobs a killed worker was running (ADR 0033).

Huey takes a task off its queue (SQLite or Redis) when a worker thread starts it, so a consumer
killed in the middle of a job (SIGKILL, OOM, power) takes the task with it: nothing would ever
run it again. Every attempt therefore records which consumer process runs it (`Job.worker`,
"host/pid/start", written by tracking.py), and `cyclecrm worker` sweeps at start-up: a job still
`running` whose process on this host is gone is put back on the queue with its own task id and
arguments, so the same job record continues (jobs are idempotent: a run after a partial run
finishes the work without repeating it). A periodic job is not re-run (its next tick comes); a
job without recorded arguments, marked `resume=False`, or resumed `RESUME_LIMIT` times already
(it may be what kills the worker) is marked failed with the reason instead.

Across machines (several workers on one PostgreSQL and Redis) a process of another host cannot
be looked up, so a running job also holds a lease (`Job.lease_expires`, ADR 0036): its worker's
heartbeat thread renews the leases of the jobs it runs every third of `JOB_LEASE_SECONDS` and
sweeps; a job of another machine is taken over only once its lease has run out, so the job of
a live worker, which keeps renewing, is never taken.

A consumer killed between taking a task off the queue and recording its job `running` (the
`executing` receiver) loses a task that never started: its record stays `queued`. The same
sweep therefore compares the waiting records with the queue and the schedule (`_sweep_lost`)
and puts a message that stays missing for a whole lease back on the queue.
"""

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import F
from django.utils import timezone
from huey.api import Huey, Task
from huey.exceptions import CancelExecution, HueyException

from cyclecrm.jobs.models import FINAL_STATES, Job, JobState

logger = logging.getLogger("cyclecrm.worker")

PROC = Path("/proc")
RESUME_LIMIT = 3
GAVE_UP = "The worker stopped while the job ran, {count} times; not resumed again."
NOT_RESUMABLE = "The worker stopped while the job ran; this job is not resumed automatically."
LOST = "The job's queue message was lost with a stopped worker; retry it from the job page."
# Jobs that wait for a worker to take their message from the queue or the schedule.
WAITING_STATES = (JobState.QUEUED, JobState.RETRYING)
_identity: dict[str, str | int | None] = {"pid": None, "name": ""}


def _start_mark(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc): "" when there is no
    such process, "Z" for a zombie (killed, not yet reaped), None where /proc is missing. Tells
    a new process with a reused pid from the one recorded."""
    if not PROC.is_dir():
        return None  # no /proc (macOS): worker_gone falls back to signal 0
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return "Z" if fields[0] == "Z" else fields[19]


def node_name() -> str:
    """This machine in worker names: CYCLECRM_NODE_NAME, else the host name."""
    return settings.CYCLECRM.get("NODE_NAME") or socket.gethostname()


def lease_seconds() -> int:
    return max(int(settings.CYCLECRM.get("JOB_LEASE_SECONDS") or 120), 3)


def lease_until(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(seconds=lease_seconds())


def worker_name() -> str:
    """This process as a job's worker: "node/pid/start" (start: /proc start time, or a random
    token where there is no /proc)."""
    pid = os.getpid()
    if _identity["pid"] != pid:
        start = _start_mark(pid) or uuid.uuid4().hex[:12]
        _identity.update(pid=pid, name=f"{node_name()}/{pid}/{start}")
    return str(_identity["name"])


def worker_gone(name: str) -> bool:
    """Whether the consumer process `name` is surely dead: it ran on this host and its pid is
    free, a zombie, or another process now (a different start time). A process of another host
    is never judged here (its lease is, see `_reclaimable`)."""
    host, _, rest = name.partition("/")
    pid_text, _, start = rest.partition("/")
    if host != node_name() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if name == worker_name():
        return False
    mark = _start_mark(pid)
    if mark is not None:
        return mark in ("", "Z") or mark != start
    if pid == os.getpid():
        return True  # this pid is ours now, with another start token: the recorded one died
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def job_ended(task_id: str) -> bool:
    return Job.objects.filter(task_id=task_id, state__in=FINAL_STATES).exists()


def skip_finished(task: Task) -> None:
    """Huey pre-execute hook: a task id whose job had already ended (finished, or failed with
    no retry left, e.g. marked "Interrupted" by the sweep) does not run again: a second message
    of it, however it came to be queued, is dropped and the record keeps its state. Huey sends
    `executing` before this hook, so that receiver (tracking.py) found the ended record and
    flagged the task. A new run is a new job: "Retry" on the job page enqueues a new task id."""
    if getattr(task, "job_ended", False):
        logger.warning("Job %s has already ended; not run again.", task.id)
        raise CancelExecution()


@dataclass
class Sweep:
    resumed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Waiting jobs whose message was missing from the queue for a whole lease: queued again.
    requeued: list[str] = field(default_factory=list)


def jobs_resume_interrupted(*, huey: Huey) -> Sweep:
    """Put the `running` jobs of dead consumer processes of this host back on the queue of
    `huey` (or mark them failed when they may not be resumed). Two workers starting together
    cannot both resume a job: each takes it over with a conditional update first. A database
    or queue that cannot be read is logged, not fatal: the worker starts (its jobs will report
    it), and the heartbeat that sweeps goes on renewing leases.

    The waiting jobs whose queue message was lost are queued again too (`_sweep_lost`)."""
    try:
        return _sweep(huey)
    except Exception:
        logger.exception("Could not look for jobs interrupted by a stopped worker.")
        return Sweep()


def _reclaimable(job: Job, now: dt.datetime) -> bool:
    """A process of this machine: when it is gone (exact, at once). Of another machine: when
    its lease ran out (it stopped renewing); a job leased by no one (recorded before leases)
    is left to its own machine's sweep."""
    if job.worker.partition("/")[0] == node_name():
        return worker_gone(job.worker)
    return job.lease_expires is not None and job.lease_expires < now


def _sweep(huey: Huey) -> Sweep:
    sweep = Sweep()
    now = timezone.now()
    _sweep_running(huey, sweep, now)
    _sweep_lost(huey, sweep, now)
    return sweep


def _sweep_running(huey: Huey, sweep: Sweep, now: dt.datetime) -> None:
    for job in Job.objects.filter(state=JobState.RUNNING).exclude(worker=""):
        if not _reclaimable(job, now):
            continue
        task, reason = _rebuild(huey, job)
        if task is None:
            if _take_over(
                job,
                state=JobState.FAILED,
                error_type="Interrupted",
                error_message=reason,
                finished_at=timezone.now(),
            ):
                sweep.failed.append(job.task_id)
            continue
        if _take_over(job, state=JobState.QUEUED, resumes=F("resumes") + 1, next_attempt_at=None):
            huey.enqueue(task)
            sweep.resumed.append(job.task_id)
    if sweep.resumed or sweep.failed:
        logger.warning(
            "Jobs interrupted by a stopped worker: %d resumed, %d marked failed.",
            len(sweep.resumed),
            len(sweep.failed),
        )


def _take_over(job: Job, **fields: object) -> bool:
    """Only if the job is still as read: same worker, lease not renewed in between."""
    taken = Job.objects.filter(
        pk=job.pk, state=JobState.RUNNING, worker=job.worker, lease_expires=job.lease_expires
    ).update(**fields, worker="", lease_expires=None, updated_at=timezone.now())
    return bool(taken)


def _sweep_lost(huey: Huey, sweep: Sweep, now: dt.datetime) -> None:
    """Queue again the waiting jobs whose message is in neither the queue nor the schedule.

    A message is also missing, for a moment, when nothing is wrong: a live worker popped it and
    is about to record the job `running`, the scheduler moves it from the schedule to the
    queue, or the enqueuing process has recorded the job and not yet written the message. So a
    missing message is first only noted (`lease_expires` of the waiting job = now + one lease,
    the time the unknown worker that may hold it is given), cleared if the message shows up
    again, and the job queued again only when it is still waiting and still missing once that
    lease ran out. A live worker records the job `running` (which rewrites `lease_expires`)
    within moments of its pop, far inside a lease; one stalled longer than that may run the
    job once more beside the queued copy, the risk ADR 0036 accepts for a worker cut off for a
    lease: jobs are idempotent. The note and the take-over are conditional updates on the
    state, mark and attempts as read, so two sweeping workers queue a job once, and a worker
    that records `running` in between wins. The schedule is read before the queue: a message
    moving from one to the other is then seen in at least one."""
    waiting = list(Job.objects.filter(state__in=WAITING_STATES))
    if not waiting:
        return
    try:
        present = _message_ids(huey.storage.scheduled_items(), huey)
        present |= _message_ids(huey.storage.enqueued_items(), huey)
    except Exception:  # the queue is down (Redis): the heartbeat must go on renewing
        logger.exception("Could not read the queue to look for lost jobs.")
        return
    requeued, failed = [], []
    for job in waiting:
        if job.task_id in present:
            if job.lease_expires is not None:
                _claim_waiting(job, lease_expires=None)
        elif job.lease_expires is None:
            _claim_waiting(job, lease_expires=lease_until(now))
        elif job.lease_expires < now:
            _requeue_lost(huey, job, requeued, failed)
    sweep.requeued += requeued
    sweep.failed += failed
    if requeued or failed:
        logger.warning(
            "Jobs whose queue message was lost with a stopped worker: %d queued again, "
            "%d marked failed.",
            len(requeued),
            len(failed),
        )


def _message_ids(messages: list[bytes], huey: Huey) -> set[str]:
    ids = set()
    for data in messages:
        try:
            ids.add(huey.serializer.deserialize(data).id)
        except Exception:  # an unreadable message names no job
            logger.warning("Could not read a message on the queue.")
    return ids


def _requeue_lost(huey: Huey, job: Job, requeued: list[str], failed: list[str]) -> None:
    task, reason = _rebuild(huey, job, started=False)
    if task is None:
        fields = {"error_type": "Interrupted", "error_message": reason}
        if _claim_waiting(job, state=JobState.FAILED, finished_at=timezone.now(), **fields):
            failed.append(job.task_id)
        return
    if _claim_waiting(
        job,
        state=JobState.QUEUED,
        resumes=F("resumes") + 1,
        next_attempt_at=None,
        lease_expires=None,
    ):
        huey.enqueue(task)
        requeued.append(job.task_id)


def _claim_waiting(job: Job, **fields: object) -> bool:
    """Only if the waiting job is still as read (not taken by a worker, same mark)."""
    claimed = Job.objects.filter(
        pk=job.pk, state=job.state, attempts=job.attempts, lease_expires=job.lease_expires
    ).update(**fields)
    return bool(claimed)


def leases_renew() -> int:
    """Extend the lease of every job this process is running; how many."""
    running = Job.objects.filter(state=JobState.RUNNING, worker=worker_name())
    return running.update(lease_expires=lease_until())


class Heartbeat(threading.Thread):
    """In `cyclecrm worker`: every third of the lease, renew this process's leases, then
    sweep (so a job of a machine that died is taken over without waiting for a restart)."""

    def __init__(self, huey: Huey) -> None:
        super().__init__(name="cyclecrm-heartbeat", daemon=True)
        self.huey = huey
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(lease_seconds() / 3):
            self.beat()

    def beat(self) -> None:
        try:
            close_old_connections()
            leases_renew()
        except DatabaseError:
            logger.exception("Could not renew the leases of the running jobs.")
            return
        jobs_resume_interrupted(huey=self.huey)


def _rebuild(huey: Huey, job: Job, *, started: bool = True) -> tuple[Task | None, str]:
    """The interrupted task again (same id, arguments and retries left), or None and why not.
    A lost message (`started=False`) never began to run, since the `executing` receiver
    commits `running` before the task is called: neither the resume limit nor `resume=False`
    (which guards against sending twice) applies to it."""
    from cyclecrm.jobs.tracking import INTERRUPTED

    stopped = INTERRUPTED if started else LOST
    if job.periodic or job.payload is None:
        return None, stopped
    if started and job.resumes >= RESUME_LIMIT:
        return None, GAVE_UP.format(count=job.resumes + 1)
    try:
        task_class = huey._registry.string_to_task(job.task_name)
    except HueyException:
        return None, stopped
    if started and not getattr(task_class, "resume", True):
        return None, NOT_RESUMABLE
    args = tuple(job.payload.get("args", ()))
    kwargs = dict(job.payload.get("kwargs", {}))
    return task_class(args, kwargs, id=job.task_id, retries=job.retries_left), ""
