"""Login lock-outs kept by django-axes: who is locked, and the administrator's unlock."""

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.core.errors import Forbidden
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, SecurityEventKind, User
from cyclecrm.identity.security_events import security_event_record


def locked_addresses(*, username: str) -> list[str]:
    """Client addresses from which this user name is locked out right now."""
    attempts = AccessAttempt.objects.filter(
        username=username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return sorted({attempt.ip_address or "" for attempt in attempts})


def user_unlock(*, actor: User, user: User) -> int:
    """Clear every failed-login count of the user (all addresses); returns how many were
    cleared. Takes the right to edit users, like any other change to an account."""
    if access.level(actor, "user", Action.EDIT) != Level.ALL:
        raise Forbidden("You may not unlock users.")
    with transaction.atomic():
        addresses = locked_addresses(username=user.username)
        cleared, _ = AccessAttempt.objects.filter(username=user.username).delete()
        security_event_record(
            kind=SecurityEventKind.UNLOCKED,
            user=user,
            actor=actor,
            detail={"addresses": addresses, "cleared": cleared},
        )
    return cleared
