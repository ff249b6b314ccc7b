"""The login pages around Django's own views: the lock-out page and password changes that
reach the security log."""

import math
from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cyclecrm.identity.models import SecurityEventKind
from cyclecrm.identity.security_events import security_event_record


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: 429 with Retry-After. The text is the same whether
    or not the user name exists, so the page tells an attacker nothing about accounts."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    page = render(request, "identity/locked_out.html", {"minutes": minutes}, status=429)
    if seconds:
        page["Retry-After"] = str(seconds)
    return page


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "identity/password_change.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event_record(
            kind=SecurityEventKind.PASSWORD_CHANGED,
            user=self.request.user,
            request=self.request,
            detail={"via": "password_change"},
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "identity/password_reset_confirm.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event_record(
            kind=SecurityEventKind.PASSWORD_CHANGED,
            user=form.user,
            request=self.request,
            detail={"via": "password_reset"},
        )
        return response
