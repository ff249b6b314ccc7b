"""What the settings pages share: the right checks and the page frame."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level, User


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def can_read(user: User, type_key: str) -> bool:
    return level(user, type_key, Action.READ) != Level.NONE


def can_manage(user: User, type_key: str, action: str) -> bool:
    """Directory objects have no owner: changing them takes the `all` level."""
    return level(user, type_key, action) == Level.ALL


def is_admin(user: User) -> bool:
    """Who may edit roles sees every right anyway, so may see why a right applies."""
    return can_manage(user, "role", Action.EDIT)


def render_settings(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context = {"can_explain": is_admin(request.user), **context}
    return render(request, template, context, status=status)
