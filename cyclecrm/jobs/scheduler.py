"""Periodic jobs enqueued once per minute however many workers run their scheduler (ADR 0028).

Huey's scheduler enqueues every periodic job that is due each minute, with no coordination
between consumers: two `cyclecrm worker` processes on one Redis would enqueue each periodic job
twice. `ClusterScheduler` first claims the minute in Redis (`SET key NX EX`, atomic); only the
scheduler that wins the claim enqueues that minute's periodic jobs, the others skip it. So every
worker may keep periodic jobs on, and the minute is still covered when any one of them is down.

The SQLite queue serves one machine and one worker (docs/deployment.md); there the scheduler
enqueues as Huey's does.
"""

import datetime as dt
import logging
import os
import socket

from huey.api import Huey
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage

logger = logging.getLogger("cyclecrm.worker")

# A claimed minute is kept long enough to outlast clock skew and a slow scheduler loop.
CLAIM_SECONDS = 3600


def claim_minute(huey: Huey, minute: dt.datetime) -> bool:
    """Whether this process may enqueue the periodic jobs of `minute` (first claim wins)."""
    storage = huey.storage
    if not isinstance(storage, RedisStorage):
        return True
    key = f"{huey.name}.periodic.{minute:%Y%m%d%H%M}"
    owner = f"{socket.gethostname()}:{os.getpid()}"
    return bool(storage.conn.set(key, owner, nx=True, ex=CLAIM_SECONDS))


class ClusterScheduler(Scheduler):
    def enqueue_periodic_tasks(self, now: dt.datetime | None) -> None:
        now = now or self.huey._get_timestamp()
        try:
            claimed = claim_minute(self.huey, now)
        except Exception:  # Redis is down: nothing could be enqueued either; next minute
            logger.exception("Could not claim the periodic jobs of %s.", f"{now:%H:%M}")
            return
        if not claimed:
            logger.info("Periodic jobs of %s were enqueued by another worker.", f"{now:%H:%M}")
            return
        super().enqueue_periodic_tasks(now)


class ClusterConsumer(Consumer):
    scheduler_class = ClusterScheduler


def use_cluster_consumer(huey: Huey) -> None:
    """Make `huey.create_consumer` (called by Huey's run_huey) build a `ClusterConsumer`."""

    def create_consumer(**options: object) -> Consumer:
        return ClusterConsumer(huey, **options)

    huey.create_consumer = create_consumer
