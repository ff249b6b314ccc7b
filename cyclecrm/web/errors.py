"""Turning domain errors into HTTP responses for the web views.

Services and selectors raise `NotFound` / `Forbidden`; a web view wrapped in `crm_view` lets
them propagate to Django's 404 / 403 handlers, so no view repeats the translation.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from cyclecrm.core.errors import Forbidden, NotFound

View = Callable[..., HttpResponse]


def crm_view(view: View) -> View:
    """Require login and map NotFound to 404, Forbidden to 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc

    return login_required(wrapper)


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request asking for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
