"""Real queues for the job tests: an SQLite queue file in the test's temp directory, or a
throw-away redis-server, with a Huey consumer (scheduler + worker threads) running on it."""

import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from huey.api import Huey
from huey.storage import BaseStorage, RedisStorage, SqliteStorage

from cyclecrm.core.testing.mailservers import SmtpTestServer
from cyclecrm.core.testing.redisserver import RedisTestServer, started_redis_server
from cyclecrm.jobs import tracking
from cyclecrm.jobs.models import Job


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisTestServer]:
    server = started_redis_server()
    yield server
    server.stop()


def _storage(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> BaseStorage:
    if kind == "sqlite":
        return SqliteStorage("cyclecrm", filename=str(tmp_path / "queue.sqlite3"))
    server = request.getfixturevalue("redis_server")
    storage = RedisStorage("cyclecrm", url=server.url)
    storage.flush_all()
    return storage


@pytest.fixture(params=["sqlite", "redis"])
def real_queue(request, tmp_path) -> Iterator[Huey]:
    """The project's Huey (every task and the job-recording receivers) switched from its
    configured storage to a real queue of the parametrized kind, not immediate mode."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.storage, HUEY._immediate
    HUEY._immediate = False
    HUEY.storage = _storage(request.param, tmp_path, request)
    try:
        yield HUEY
    finally:
        HUEY.storage, HUEY._immediate = previous


@contextmanager
def running_consumer(huey: Huey, *, workers: int = 2) -> Iterator[None]:
    """A consumer on `huey` for the block: worker threads close their database connections
    when it stops (the test database must not stay in use), signal handlers are put back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    huey.on_shutdown("close_test_connections")(connections.close_all)
    tracking.consumer_mode(True)
    consumer = huey.create_consumer(
        workers=workers,
        periodic=False,
        initial_delay=0.05,
        max_delay=0.2,
        check_worker_health=False,
        shutdown_timeout=20,
    )
    try:
        consumer.start()
        yield
    finally:
        consumer.stop(graceful=True)
        tracking.consumer_mode(False)
        huey.unregister_on_shutdown("close_test_connections")
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert not consumer.scheduler.is_alive()
    assert not any(thread.is_alive() for _, thread in consumer.worker_threads)


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the worker")


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpTestServer]:
    """An aiosmtpd server that Django's SMTP backend sends to (as in the integrations tests)."""
    server = SmtpTestServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


@pytest.fixture
def immediate_queue() -> Iterator[Huey]:
    """Huey in immediate mode: tasks run in the test as they are enqueued, signals and all."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


def make_job(**fields: Any) -> Job:
    """A job record as the receivers would leave it (the API and page tests start from these)."""
    fields.setdefault("task_id", str(uuid.uuid4()))
    fields.setdefault("task_name", "cyclecrm.integrations.tasks.send_email")
    fields.setdefault("args_summary", "1")
    fields.setdefault("payload", {"args": [1], "kwargs": {}})
    return Job.objects.create(**fields)
