"""The security log's view of Django's authentication signals.

Django (and django-axes, which counts failures from the same signals) send these from every
login path: the login form, the password-reset login, the two-factor step. Recording here
rather than in each view means no path can log in without leaving a trace.
"""

from typing import Any

from django.http import HttpRequest

from cyclecrm.identity.middleware import session_stamp
from cyclecrm.identity.models import SecurityEventKind, User
from cyclecrm.identity.security_events import security_event_record


def on_logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    security_event_record(kind=SecurityEventKind.LOGIN, user=user, request=request)
    if hasattr(request, "session"):
        session_stamp(request.session)


def on_logged_out(
    sender: Any, request: HttpRequest, user: User | None = None, **kwargs: Any
) -> None:
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, user=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A wrong password, an unknown user name, or an attempt while locked out. The user is
    linked when the name exists; the typed name is kept either way (never the password)."""
    username = str(credentials.get("username") or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED, user=user, username=username, request=request
    )


def on_locked_out(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    user = User.objects.filter(username=username).first() if username else None
    security_event_record(
        kind=SecurityEventKind.LOCKED_OUT, user=user, username=username, request=request
    )
