"""Rate limits of the whole API, as one django-ninja throttle on the NinjaAPI root.

Ninja runs throttles after authentication, so the caller is known: a token is counted per token,
a browser session per user, an unauthenticated (public) operation per client address. Reads
(GET/HEAD/OPTIONS) and writes have separate budgets, so a bulk export cannot starve edits. The
counting is the shared limiter in cyclecrm/core/ratelimit.py; ninja answers 429 through the
API's error handler and sets `Retry-After` from `wait()`.
"""

import threading

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from cyclecrm.core import ratelimit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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
            ratelimit.check(f"api.{budget}", f"{kind}:{key}", budget)
        except ratelimit.RateLimited as exc:
            self._local.wait = exc.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
