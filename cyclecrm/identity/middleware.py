"""Session rules of the web UI: client context, idle and absolute expiry, required second factor.

Both run after Django's AuthenticationMiddleware and django-otp's OTPMiddleware, so
`request.user` is known and `request.user.is_verified()` says whether this session passed a
second factor.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from cyclecrm.identity import two_factor
from cyclecrm.identity.models import SecurityEventKind
from cyclecrm.identity.security_events import client_of, client_var, security_event_record

Handler = Callable[[HttpRequest], HttpResponse]

LAST_SEEN_KEY = "cyclecrm_last_seen"
STARTED_KEY = "cyclecrm_started"
# Writing the session on every request would turn reads into writes; a minute is precise enough.
LAST_SEEN_RESOLUTION_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Sets the client context of the security log, and ends a session that has been idle for
    SESSION_IDLE_SECONDS or that began more than SESSION_COOKIE_AGE ago (Django itself only
    bounds the cookie's age since the session was last written)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_var.set(client_of(request))
        try:
            if request.user.is_authenticated and _session_expired(request):
                security_event_record(
                    kind=SecurityEventKind.SESSION_EXPIRED, user=request.user, request=request
                )
                logout(request)
                if not request.path.startswith("/api/"):
                    return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
            return self.get_response(request)
        finally:
            client_var.reset(token)


def session_stamp(session: Any) -> None:
    """Start the clocks of a new session at login, so that its first request does not have to
    write the session (the login writes it anyway)."""
    now = int(time.time())
    session[STARTED_KEY] = now
    session[LAST_SEEN_KEY] = now


def _session_expired(request: HttpRequest) -> bool:
    now = int(time.time())
    session = request.session
    started = session.setdefault(STARTED_KEY, now)
    last_seen = session.get(LAST_SEEN_KEY, now)
    if now - last_seen > settings.SESSION_IDLE_SECONDS:
        return True
    if now - started > settings.SESSION_COOKIE_AGE:
        return True
    if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or LAST_SEEN_KEY not in session:
        session[LAST_SEEN_KEY] = now
    return False


# Pages a user who still owes a second factor may open: enrolment, verification, logging out.
_OPEN_URL_NAMES = ("two_factor_setup", "two_factor_verify", "logout", "login")


class SecondFactorMiddleware:
    """A signed-in user whose roles require two-factor authentication, or who has a device,
    uses nothing until this session passed a second factor: pages redirect to enrolment (no
    device yet) or to the code page; the API treats the session as anonymous (bearer tokens
    are unaffected: they are not password logins)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        needs_device = two_factor.is_required(user)
        has_device = two_factor.has_device(user)
        if not needs_device and not has_device:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            request.user = AnonymousUser()
            return self.get_response(request)
        open_paths = {reverse(name) for name in _OPEN_URL_NAMES}
        if request.path in open_paths or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        target = reverse("two_factor_verify" if has_device else "two_factor_setup")
        if request.method == "GET":
            # Back to this page after the second factor (the view checks it is ours).
            target = f"{target}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        return redirect(target)
