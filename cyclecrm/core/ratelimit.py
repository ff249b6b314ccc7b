"""The one request rate limiter: fixed-window counters in Django's cache.

Every limited caller (an API token, a signed-in user, a client address on a public page) has a
counter per window `rl:<bucket>:<key>:<window number>`. `cache.add` creates it (atomic: only one
process wins) and `cache.incr` counts (atomic on Redis and locmem; the file cache of a single
node may lose a count under truly simultaneous requests, so a limit is a brake on abuse there,
not an exact quota). The counter expires with its window, so nothing needs cleaning up.

Limits are "<requests>/<seconds>" strings in `settings.CYCLECRM["RATE_LIMITS"]`, one per budget
(`api_read`, `api_write`, `public`, `tracking`); an empty value switches a budget off.
Client addresses are never stored in clear: keys carry an HMAC of the address.

Limited responses tell the client its budget with the IETF draft headers `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (seconds), read from the counter just incremented
(no extra cache round trip); a 429 also carries `Retry-After`.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.crypto import salted_hmac

from cyclecrm.core.errors import CrmError

_IP_SALT = "cyclecrm.leads.capture.ip"  # unchanged: capture-form rows keep matching


class RateLimited(CrmError):
    status = 429
    code = "rate_limited"
    default_message = "Too many requests; please try again later."

    def __init__(
        self, *, retry_after: int, message: str | None = None, usage: "Usage | None" = None
    ) -> None:
        super().__init__(message or f"{self.default_message} Retry in {retry_after} s.")
        self.retry_after = retry_after
        self.usage = usage


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        count, _, seconds = text.partition("/")
        rate = cls(int(count), int(seconds or 1))
        if rate.limit < 1 or rate.seconds < 1:
            raise ValueError(f"A rate needs a positive count and period: {text!r}.")
        return rate


@dataclass(frozen=True)
class Usage:
    limit: int
    count: int
    reset: int  # seconds until the window ends

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def add_headers(self, response: HttpResponseBase) -> None:
        """Set the IETF draft RateLimit header fields of this window on a response."""
        response["RateLimit-Limit"] = str(self.limit)
        response["RateLimit-Remaining"] = str(self.remaining)
        response["RateLimit-Reset"] = str(self.reset)


def budget(name: str) -> Rate | None:
    """The configured rate of a budget, None when it is switched off."""
    text = settings.CYCLECRM.get("RATE_LIMITS", {}).get(name, "")
    return Rate.parse(text) if text else None


def hit(bucket: str, key: str, rate: Rate) -> Usage:
    """Count one request of `key` in `bucket` and return the window's usage."""
    now = time.time()
    window = int(now // rate.seconds)
    name = f"rl:{bucket}:{key}:{window}"
    reset = max(1, math.ceil((window + 1) * rate.seconds - now))
    cache.add(name, 0, timeout=reset + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: this request opens a new window
        cache.add(name, 1, timeout=reset + 1)
        count = 1
    return Usage(limit=rate.limit, count=count, reset=reset)


def check(bucket: str, key: str, budget_name: str) -> Usage | None:
    """Count a request against a budget; raise RateLimited once the budget is spent."""
    rate = budget(budget_name)
    if rate is None:
        return None
    usage = hit(bucket, key, rate)
    if usage.exceeded:
        raise RateLimited(retry_after=usage.reset, usage=usage)
    return usage


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with `TRUSTED_PROXY_COUNT` reverse proxies in
    front, the address the outermost trusted proxy saw (X-Forwarded-For, read from the right,
    because a client can put anything at its left)."""
    proxies = int(settings.CYCLECRM.get("TRUSTED_PROXY_COUNT", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def ip_fingerprint(ip: str) -> str:
    """64 hex characters identifying the address without revealing it."""
    return salted_hmac(_IP_SALT, ip or "unknown", algorithm="sha256").hexdigest()


def rate_limited_response(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """429 with Retry-After: the error body on the API, a short text page elsewhere."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(exc.as_body(), status=429)
    else:
        response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    if exc.usage is not None:
        exc.usage.add_headers(response)
    return response


def public_rate_limit(group: str, *, budget_name: str = "public") -> Callable:
    """Decorate a public (no login) view: each client address gets `budget_name` per `group`."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                usage = check(f"public.{group}", ip_fingerprint(client_ip(request)), budget_name)
            except RateLimited as exc:
                return rate_limited_response(request, exc)
            response = view(request, *args, **kwargs)
            if usage is not None:
                usage.add_headers(response)
            return response

        return limited

    return decorate
