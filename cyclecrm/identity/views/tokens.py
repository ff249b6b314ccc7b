"""Settings: API tokens. The secret is shown once, in the response to the create form, and is
never stored or shown again (the list shows the prefix only)."""

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import Conflict, ValidationFailed
from cyclecrm.identity import selectors, services
from cyclecrm.identity.access import level
from cyclecrm.identity.forms import TokenForm, add_service_errors
from cyclecrm.identity.models import Action, Level
from cyclecrm.identity.views.common import can_read, render_settings, require
from cyclecrm.web.errors import crm_view

TYPE = "token"


@crm_view
def token_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, TYPE))
    tokens = selectors.token_list(actor=request.user).select_related("user")
    return render_settings(
        request,
        "identity/token_list.html",
        {
            "tokens": tokens,
            "sees_all": level(request.user, TYPE, Action.READ) == Level.ALL,
            "can_create": level(request.user, TYPE, Action.CREATE) != Level.NONE,
        },
    )


def _expiry(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@never_cache
@crm_view
def token_create(request: HttpRequest) -> HttpResponse:
    require(level(request.user, TYPE, Action.CREATE) != Level.NONE)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = services.token_create(
                actor=request.user,
                user=request.user,
                name=data["name"],
                scope=data["scope"],
                expires_at=_expiry(data["expires_on"]),
            )
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc, form.ALIASES)
        else:
            return render_settings(
                request, "identity/token_created.html", {"token": token, "secret": secret}
            )
    return render_settings(request, "identity/token_form.html", {"form": form})


@require_POST
@crm_view
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_get(actor=request.user, pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token {token.name} ({token.prefix}…) revoked.")
    return redirect("token_list")
