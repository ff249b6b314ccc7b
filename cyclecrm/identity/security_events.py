"""Writing the security log: logins, lock-outs, second factors and rights changes.

Each event carries the client address and user agent of the request that caused it. Services
that change rights run without a request object, so the identity middleware puts the client
into a context variable (like the request id) and `security_event_record` reads it from there.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from axes.helpers import get_client_ip_address
from django.http import HttpRequest

from cyclecrm.core.context import request_id_var
from cyclecrm.identity.models import SecurityEvent, SecurityEventKind, User


@dataclass(frozen=True)
class Client:
    ip_address: str | None
    user_agent: str


client_var: ContextVar[Client | None] = ContextVar("security_client", default=None)


def client_of(request: HttpRequest) -> Client:
    """The address django-axes counts failures against (REMOTE_ADDR unless trusted proxies
    are configured) and the user agent, cut to the column's length."""
    return Client(
        ip_address=get_client_ip_address(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
    )


def security_event_record(
    *,
    kind: SecurityEventKind,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> SecurityEvent:
    """Append one event; call inside the transaction of the change it records."""
    client = client_of(request) if request is not None else client_var.get()
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if getattr(user, "pk", None) else None,
        username=(username or getattr(user, "username", "") or "")[:150],
        actor=actor if getattr(actor, "pk", None) else None,
        ip_address=client.ip_address if client else None,
        user_agent=client.user_agent if client else "",
        detail=detail or {},
        request_id=request_id_var.get(),
    )
