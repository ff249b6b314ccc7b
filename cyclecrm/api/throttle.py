"""Rate limits of the whole API, as one django-ninja throttle on the NinjaAPI root.

Ninja runs throttles after authentication, so the caller is known: a token is counted per token,
a browser session per user, an unauthenticated (public) operation per client address. Reads
(GET/HEAD/OPTIONS) and writes have separate budgets, so a bulk export cannot starve edits. The
counting is the shared limiter in cyclecrm/core/ratelimit.py; ninja answers 429 through the
API's error handler and sets `Retry-After` from `wait()`.

The throttle leaves the window's usage on the request, and `with_rate_limit_headers` (a view
decorator on every operation) copies it into the `RateLimit-*` headers of whatever the
operation answers, 429 included.
"""

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.throttling import BaseThrottle

from cyclecrm.core import ratelimit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
USAGE_ATTR = "_cyclecrm_rate_usage"


def caller_key(request: HttpRequest) -> tuple[str, str]:
    """(kind, key) of whoever makes the request: token, user or client address."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return "token", str(token.pk)
    user = getattr(request, "auth", None)
    if user is not None and getattr(user, "pk", None) is not None:
        return "user", str(user.pk)
    return "public", ratelimit.ip_fingerprint(ratelimit.client_ip(request))


class ApiThrottle(BaseThrottle):
    """Counts every API request; `wait()` reports the refused request's Retry-After."""

    def __init__(self) -> None:
        # One instance serves every thread; the wait of a refusal belongs to its own thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        kind, key = caller_key(request)
        if kind == "public":
            budget = "public"
        else:
            budget = "api_read" if request.method in SAFE_METHODS else "api_write"
        try:
            usage = ratelimit.check(f"api.{budget}", f"{kind}:{key}", budget)
        except ratelimit.RateLimited as exc:
            self._local.wait = exc.retry_after
            setattr(request, USAGE_ATTR, exc.usage)
            return False
        setattr(request, USAGE_ATTR, usage)
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def with_rate_limit_headers(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's run (authentication, throttle, handler): add the caller's budget."""

    @wraps(run)
    def run_with_headers(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = run(request, *args, **kwargs)
        usage = getattr(request, USAGE_ATTR, None)
        if usage is not None:
            usage.add_headers(response)
        return response

    return run_with_headers
