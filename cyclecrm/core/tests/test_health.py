"""`/healthz` is liveness only (200 while the process answers); `/readyz` answers 200 when the
database and the job queue answer, 503 naming the one that does not."""

import socket
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage, SqliteStorage

from cyclecrm.core import health
from cyclecrm.core.testing.mailservers import HOST, free_port
from cyclecrm.core.testing.redisserver import RedisTestServer, started_redis_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_file(tmp_path) -> Iterator[None]:
    """A real SQLite queue file, not immediate mode."""
    previous = HUEY.storage, HUEY._immediate
    HUEY.storage, HUEY._immediate = SqliteStorage("t", filename=str(tmp_path / "q.sqlite3")), False
    yield
    HUEY.storage, HUEY._immediate = previous


@pytest.fixture
def redis_queue() -> Iterator[RedisTestServer]:
    """The queue on a real redis-server of this test's own, which the test may stop."""
    server = started_redis_server()
    previous = HUEY.storage, HUEY._immediate
    HUEY.storage, HUEY._immediate = RedisStorage("t", url=server.url), False
    yield server
    HUEY.storage, HUEY._immediate = previous
    server.stop()


@pytest.mark.usefixtures("queue_file")
def test_ready_without_login(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_a_redis_queue_that_stops_makes_readyz_503_and_healthz_stays_200(client, redis_queue):
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "queue": "ok"}

    redis_queue.stop()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "ok", "queue": "failed"}
    assert client.get("/healthz").status_code == 200


@pytest.mark.usefixtures("queue_file")
def test_a_database_that_does_not_answer_is_503(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "failed", "queue": "ok"}


def test_healthz_is_liveness_only(client, monkeypatch, django_assert_num_queries):
    """It answers while the database and the queue are down: restarting a process cannot fix
    them, so a supervisor must not restart it for that."""
    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(HUEY, "storage", RedisStorage("t", url="redis://127.0.0.1:1/0"))
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.usefixtures("queue_file")
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_only_reads(client, path):
    assert client.post(path).status_code == 405
    assert client.head(path).status_code == 200


@pytest.fixture
def redis_at(settings) -> Iterator:
    """`redis_at(url)` points the queue at a Redis URL (immediate mode off)."""
    settings.REDIS_PROBE_TIMEOUT_SECONDS = 0.5
    previous = HUEY.storage, HUEY._immediate

    def point(url: str) -> None:
        HUEY.storage, HUEY._immediate = RedisStorage("t", url=url), False

    yield point
    HUEY.storage, HUEY._immediate = previous


def test_a_redis_port_nobody_listens_on_is_503(client, redis_at):
    redis_at(f"redis://{HOST}:{free_port()}/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["queue"] == "failed"


def test_a_redis_that_accepts_and_never_answers_does_not_hang_the_probe(client, redis_at):
    """A listening socket nobody reads from: the connection opens (the kernel accepts it) and
    PING is never answered, like a stalled server. Without a read timeout the probe would
    wait forever; the guard thread turns such a hang into a failure instead of a stuck run."""
    with socket.create_server((HOST, 0)) as silent:
        redis_at(f"redis://{HOST}:{silent.getsockname()[1]}/0")
        outcome: list[bool] = []
        probe = threading.Thread(target=lambda: outcome.append(health.queue_ok()), daemon=True)
        probe.start()
        probe.join(timeout=60)

        assert outcome == [False], "the Redis probe hung on a server that never answers"
        assert client.get("/readyz").json()["queue"] == "failed"


def test_a_real_redis_is_ready_through_the_bounded_probe(client, redis_queue, settings):
    settings.REDIS_PROBE_TIMEOUT_SECONDS = 0.5

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["queue"] == "ok"


def test_the_redis_cache_gives_up_on_a_server_that_never_answers():
    """The cache (KPIs, rate-limit counters) carries the same bound as the probe: a stalled
    Redis makes a cache call fail with an error rather than hang the server thread."""
    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import TimeoutError as RedisTimeout

    from cyclecrm.config.settings import redis_cache

    with socket.create_server((HOST, 0)) as silent:
        config = redis_cache(f"redis://{HOST}:{silent.getsockname()[1]}/0")
        cache = RedisCache(config["LOCATION"], {"OPTIONS": config["OPTIONS"]})
        outcome: list[str] = []

        def call() -> None:
            try:
                cache.get("anything")
            except RedisTimeout:
                outcome.append("timed out")

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        caller.join(timeout=60)

        assert outcome == ["timed out"], "the cache call hung on a server that never answers"
