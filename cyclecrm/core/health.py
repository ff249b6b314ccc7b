"""Probes for load balancers and supervisors (docs/operations.md, "Monitoring").

`GET /healthz` is liveness: the process answers requests (200, touching nothing else), so a
supervisor restarts it only when it hangs, not when the database is down. `GET /readyz` is
readiness: the database answers a query and the job queue is reachable (the SQLite queue file
or a Redis ping); 200 when both do, 503 naming what failed, so a load balancer sends no traffic
to a node that cannot serve it. No login, no session, never cached; they reveal no
configuration, only which check failed.
"""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from huey.contrib.djhuey import HUEY

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
        HUEY.storage.queue_size()
    except Exception:
        logger.exception("Readiness check: the job queue does not answer.")
        return False
    return True


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
