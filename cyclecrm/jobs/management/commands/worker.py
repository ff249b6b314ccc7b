"""`cyclecrm worker`: the background-job consumer (what `make worker` runs).

Huey's own `run_huey` with this project's defaults (HUEY["consumer"] in settings: thread
workers, HUEY_WORKERS of them) and a first log line naming the queue backend; every
`run_huey` option (`--workers`, `--worker-type`, `--no-periodic`, `--max-tasks`, ...) passes
through unchanged. At start it puts back on the queue the jobs that a killed worker of this
host was running (recovery.py, ADR 0033). Run one per machine, or several against one Redis
(docs/deployment.md): their schedulers enqueue each minute's periodic jobs once between them
(scheduler.py, ADR 0028).
"""

import logging
from typing import Any

from django.conf import settings
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey

from cyclecrm.jobs.queue import queue_description
from cyclecrm.jobs.recovery import Heartbeat, jobs_resume_interrupted
from cyclecrm.jobs.scheduler import use_cluster_consumer
from cyclecrm.jobs.tracking import consumer_mode

logger = logging.getLogger("cyclecrm.worker")


class Command(RunHuey):
    help = "Run the background-job worker (Huey consumer) on the configured queue."

    def handle(self, *args: Any, **options: Any) -> None:
        consumer = settings.HUEY.get("consumer", {})
        workers = options.get("workers") or consumer.get("workers", 1)
        worker_type = options.get("worker_type") or consumer.get("worker_type", "thread")
        logger.info(
            "Cycle CRM worker: %s; %s %s worker(s)%s.",
            queue_description(),
            workers,
            worker_type,
            "" if options.get("periodic") is not False else ", periodic jobs off",
        )
        _log_through_root(options)
        consumer_mode(True)
        use_cluster_consumer(HUEY)
        autodiscover_modules("tasks")
        jobs_resume_interrupted(huey=HUEY)
        heartbeat = Heartbeat(HUEY)
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stopped.set()


def _log_through_root(options: dict[str, Any]) -> None:
    """Huey gives its logger a handler of its own when it has none, which doubled every line
    with the console handler of settings.LOGGING; a no-op handler keeps the one root handler
    (unless --logfile asks for Huey's file handler)."""
    huey_logger = logging.getLogger("huey")
    if options.get("logfile") or not logging.getLogger().handlers:
        return
    if not huey_logger.handlers:
        huey_logger.addHandler(logging.NullHandler())
    if options.get("verbose"):
        huey_logger.setLevel(logging.DEBUG)
