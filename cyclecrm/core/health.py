"""Probes for load balancers and supervisors (docs/operations.md, "Monitoring").

`GET /healthz` is liveness: the process answers requests (200, touching nothing else), so a
supervisor restarts it only when it hangs, not when the database is down. `GET /readyz` is
readiness: the database answers a query and the job queue is reachable (the SQLite queue file
or a Redis ping); 200 when both do, 503 naming what failed, so a load balancer sends no traffic
to a node that cannot serve it. No login, no session, never cached; they reveal no
configuration, only which check failed.

The Redis check uses a connection of its own with connect and read timeouts
(REDIS_PROBE_TIMEOUT_SECONDS): the queue's own connections have none, so a Redis host that
drops packets, or a server that accepts and never answers, would hang the probe.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Readiness check: the database does not answer.")
        return False


def queue_ok() -> bool:
    """The queue answers a read (Redis, or the SQLite queue file); immediate mode has none."""
    if HUEY.immediate:
        return True
    try:
        if isinstance(HUEY.storage, RedisStorage):
            _redis_ping(HUEY.storage.pool)
        else:
            HUEY.storage.queue_size()
    except Exception:
        logger.exception("Readiness check: the job queue does not answer.")
        return False
    return True


def _redis_ping(pool: redis.ConnectionPool) -> None:
    """PING the queue's Redis over a fresh connection that gives up after the probe timeout."""
    timeout = settings.REDIS_PROBE_TIMEOUT_SECONDS
    kwargs = {**pool.connection_kwargs, "socket_connect_timeout": timeout}
    kwargs |= {"socket_timeout": timeout, "retry": Retry(NoBackoff(), 0)}  # one try only
    probe = pool.connection_class(**kwargs)
    try:
        probe.send_command("PING")
        if probe.read_response() not in (b"PONG", "PONG", True):
            raise redis.ConnectionError("Redis did not answer PONG.")
    finally:
        probe.disconnect()


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": "ok" if database_ok() else "failed",
        "queue": "ok" if queue_ok() else "failed",
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failed", **checks}, status=200 if healthy else 503
    )
