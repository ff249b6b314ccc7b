"""Recording each background job in a `Job` row from Huey's signals.

Huey sends its signals in the process where the event happens: `enqueued` in whichever process
calls the task (a web request, the scheduler for periodic jobs, a worker requeueing a retry),
`executing`, `complete`, `error`, `retrying` ... in the worker that runs it. Every receiver
therefore updates the row by task id and creates it when no process has yet (a lost insert
race is caught by the unique index), so the order in which processes report does not matter.
Only the receivers here write job rows; the job page reads them (selectors.py).
"""

import json
import re
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from huey import signals as S
from huey.api import Huey, PeriodicTask, Task

from cyclecrm.core.context import request_id_var
from cyclecrm.jobs.backoff import apply_backoff
from cyclecrm.jobs.models import Job, JobState
from cyclecrm.jobs.recovery import job_ended, lease_until, skip_finished, worker_name

SECRET_NAME = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)
ARG_REPR_LIMIT = 80
ERROR_MESSAGE_LIMIT = 5000
TRACEBACK_LIMIT = 20000
INTERRUPTED = "The worker stopped while the job ran; retry it from the job page."
_consumer = {"process": False}


def consumer_mode(enabled: bool) -> None:
    """Say that this process is a worker (`cyclecrm worker`): its threads then release their
    database connection after recording once it is past CONN_MAX_AGE or broken, as Huey's
    `db_task` does around each job (never inside a transaction)."""
    _consumer["process"] = enabled


def connect(huey: Huey) -> None:
    """Record the jobs of `huey`, apply the back-off of `retrying_task` jobs, and never run a
    finished job's task id again (recovery.skip_finished)."""
    huey.signal(S.SIGNAL_RETRYING)(apply_backoff)
    huey.pre_execute("skip_finished")(skip_finished)

    def receive(signal: str, task: Task, *args: Any) -> None:
        handler = _HANDLERS.get(signal)
        if handler is None:
            return
        handler(task, *args)
        if signal in _ENDING:
            _leave_request(task)
        if _consumer["process"] and not connection.in_atomic_block:
            close_old_connections()

    huey.signal()(receive)
    # Huey runs its pre- and post-execute hooks around every attempt in the thread that runs
    # it, whatever the outcome (a RetryTask sends no signal); _ENDING covers the attempts that
    # end without the post-execute hooks.
    huey.pre_execute("cyclecrm_request_id")(_enter_request)
    huey.post_execute("cyclecrm_request_id")(_after_attempt)


def _after_attempt(task: Task, value: Any, exception: BaseException | None) -> None:
    _leave_request(task)


def summarize(task: Task) -> tuple[str, dict[str, Any] | None]:
    """A readable argument summary with secret-looking keyword values masked, and the
    arguments as JSON for a later retry (None when they are not plain JSON or look secret)."""
    kwargs = {key: value for key, value in task.kwargs.items() if key != "task"}
    parts = [_short(value) for value in task.args]
    parts += [
        f"{key}={'***' if SECRET_NAME.search(key) else _short(value)}"
        for key, value in kwargs.items()
    ]
    summary = ", ".join(parts)[:500]
    if any(SECRET_NAME.search(key) for key in kwargs):
        return summary, None
    payload = {"args": list(task.args), "kwargs": kwargs}
    try:
        return summary, json.loads(json.dumps(payload, allow_nan=False))
    except (TypeError, ValueError):
        return summary, None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= ARG_REPR_LIMIT else text[: ARG_REPR_LIMIT - 1] + "…"


def _aware(value: datetime | None) -> datetime | None:
    """Huey keeps times as naive UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _create(task: Task, **fields: Any) -> None:
    summary, payload = summarize(task)
    values = {
        "task_name": _task_name(task),
        "periodic": isinstance(task, PeriodicTask),
        "args_summary": summary,
        "payload": payload,
        "retries_left": task.retries or 0,
        "request_id": request_id_var.get()[:64],
        **fields,
    }
    try:
        with transaction.atomic():
            Job.objects.create(task_id=task.id, **values)
    except IntegrityError:
        pass  # another process recorded it first; the caller's update follows


def _task_name(task: Task) -> str:
    return f"{type(task).__module__}.{type(task).__name__}"


def _update(task: Task, **fields: Any) -> None:
    if Job.objects.filter(task_id=task.id).update(**fields, updated_at=timezone.now()):
        return
    _create(task)
    Job.objects.filter(task_id=task.id).update(**fields, updated_at=timezone.now())


def _enqueued(task: Task) -> None:
    if not Job.objects.filter(task_id=task.id).exists():
        _create(task, next_attempt_at=_aware(task.eta))


def _scheduled(task: Task) -> None:
    """A task with an eta: a delayed first run, or a retry after its back-off."""
    if not Job.objects.filter(task_id=task.id).exists():
        _create(task, next_attempt_at=_aware(task.eta))
    else:
        _update(task, next_attempt_at=_aware(task.eta), retries_left=task.retries or 0)


def _executing(task: Task) -> None:
    if job_ended(task.id):
        task.job_ended = True  # recovery.skip_finished drops this run; the record stays
        return
    task._job_started = time.monotonic()  # read on completion, in the same worker
    _update(
        task,
        state=JobState.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        finished_at=None,
        next_attempt_at=None,
        retries_left=task.retries or 0,
        worker=worker_name(),
        lease_expires=lease_until(),
    )


def _enter_request(task: Task) -> None:
    """Run the job under the id of the request that enqueued it (`job:<task id>` when none),
    in the worker thread until the attempt ends."""
    enqueued_by = Job.objects.filter(task_id=task.id).values_list("request_id", flat=True).first()
    task._request_token = request_id_var.set(enqueued_by or f"job:{task.id}"[:64])


def _leave_request(task: Task) -> None:
    token = task.__dict__.pop("_request_token", None)
    if token is None:
        return
    try:
        request_id_var.reset(token)
    except ValueError:  # set in another context: leave this thread without an id
        request_id_var.set("")


def _ended(task: Task) -> dict[str, Any]:
    started = getattr(task, "_job_started", None)
    duration = None if started is None else round((time.monotonic() - started) * 1000)
    return {"finished_at": timezone.now(), "duration_ms": duration}


def _complete(task: Task) -> None:
    _update(
        task,
        state=JobState.FINISHED,
        error_type="",
        error_message="",
        error_traceback="",
        **_ended(task),
    )


def _error(task: Task, exc: BaseException | None = None) -> None:
    """An attempt failed: `failed` when no retry is left, else `retrying` (Huey then sends
    `retrying` and `scheduled` with the back-off's eta)."""
    if exc is None:
        error_type, message, trace = "Error", "", ""
    else:
        error_type = type(exc).__name__
        message = str(exc)
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    _record_failure(task, error_type, message, trace)


def _record_failure(task: Task, error_type: str, message: str, trace: str = "") -> None:
    _update(
        task,
        state=JobState.RETRYING if task.retries else JobState.FAILED,
        error_type=error_type[:200],
        error_message=message[:ERROR_MESSAGE_LIMIT],
        error_traceback=trace[-TRACEBACK_LIMIT:],
        **_ended(task),
    )


def _stopped(error_type: str, message: str) -> Callable[[Task], None]:
    def handler(task: Task, *args: Any) -> None:
        _record_failure(task, error_type, message)

    return handler


def _interrupted(task: Task) -> None:
    _update(
        task,
        state=JobState.FAILED,
        error_type="Interrupted",
        error_message=INTERRUPTED,
        **_ended(task),
    )


def _closed(state: str) -> Callable[[Task], None]:
    def handler(task: Task, *args: Any) -> None:
        if job_ended(task.id):
            return  # recovery.skip_finished dropped a second message of an ended job
        _update(task, state=state, finished_at=timezone.now(), next_attempt_at=None)

    return handler


# Attempts that end without Huey's post-execute hooks (the job's request id is then dropped
# from the thread here).
_ENDING = {S.SIGNAL_CANCELED, S.SIGNAL_INTERRUPTED}

_HANDLERS: dict[str, Callable[..., None]] = {
    S.SIGNAL_ENQUEUED: _enqueued,
    S.SIGNAL_SCHEDULED: _scheduled,
    S.SIGNAL_EXECUTING: _executing,
    S.SIGNAL_COMPLETE: _complete,
    S.SIGNAL_ERROR: _error,
    S.SIGNAL_TIMEOUT: _stopped("TaskTimeout", "The job ran longer than its timeout."),
    S.SIGNAL_LOCKED: _stopped("TaskLocked", "Another run of this job held its lock."),
    S.SIGNAL_RATE_LIMITED: _stopped("RateLimited", "The job's rate limit was exceeded."),
    S.SIGNAL_CANCELED: _closed(JobState.REVOKED),
    S.SIGNAL_INTERRUPTED: _interrupted,
    S.SIGNAL_REVOKED: _closed(JobState.REVOKED),
    S.SIGNAL_EXPIRED: _closed(JobState.EXPIRED),
}
