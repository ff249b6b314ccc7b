"""Retries with exponential back-off for background jobs.

A job declares its retries with `retrying_task` instead of `db_task`:

    @retrying_task(retries=3, backoff=Backoff(base=60, cap=3600), context=True)
    def send_email(interaction_id: int, task: Any = None) -> str: ...

A failed attempt is retried after `base * 2 ** (attempt - 1)` seconds (60, 120, 240, ...), at
most `cap`, spread by ±`jitter` so jobs failing together do not retry together. The delay is set
on the task from Huey's `retrying` signal, which Huey sends just before it re-schedules the task,
so it works the same with the SQLite and the Redis queue. A job must be idempotent: a retry (or a
"retry" from the job page) may run it again after a partial success.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey.api import Task
from huey.contrib.djhuey import db_task


@dataclass(frozen=True)
class Backoff:
    base: float = 30.0
    cap: float = 3600.0
    jitter: float = 0.1

    def delay(self, attempt: int, *, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 for the first failure)."""
        raw = self.base * 2 ** max(attempt - 1, 0)
        spread = 1 - self.jitter + 2 * self.jitter * rand()
        return round(min(self.cap, raw * spread), 3)


def retrying_task(
    *, retries: int, backoff: Backoff | None = None, **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """`db_task` with `retries` retries spaced by `backoff` (the default `Backoff()`)."""
    backoff = backoff or Backoff()
    return db_task(retries=retries, retry_delay=backoff.base, backoff=backoff, **options)


def attempt_number(task: Task) -> int:
    """Which attempt of this task just ran (1 for the first): retries count down from the
    task class's default as Huey re-schedules it."""
    return max(type(task).default_retries - task.retries + 1, 1)


def apply_backoff(signal: str, task: Task, *args: Any) -> None:
    """Huey `retrying` receiver: set the delay before the next attempt."""
    backoff = getattr(type(task), "backoff", None)
    if isinstance(backoff, Backoff):
        task.retry_delay = backoff.delay(attempt_number(task))
