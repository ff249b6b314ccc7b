"""The user's own security page: two-factor enrolment, backup codes, removal, and the code
page of the second login step."""

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity import two_factor
from cyclecrm.identity.models import User


def _token_error(exc: ValidationFailed) -> str:
    return " ".join(exc.fields.get("token", [exc.message]))


def _next_url(request: HttpRequest) -> str:
    """Where the login was going (`next`, kept through the second step), when it is a page of
    this site; otherwise "" (an off-site `next` would make the login an open redirect)."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else ""


def _continue(request: HttpRequest) -> HttpResponse:
    return redirect(_next_url(request) or resolve_url("home"))


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    context = {
        "has_device": two_factor.has_device(user),
        "required": two_factor.is_required(user),
    }
    return render(request, "identity/account_security.html", context)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if two_factor.has_device(user) and not request.user.is_verified():
        return redirect("two_factor_verify")
    device = two_factor.totp_setup(actor=user)
    error = ""
    if request.method == "POST":
        try:
            codes = two_factor.totp_confirm(
                actor=user, token=request.POST.get("token", ""), request=request
            )
        except ValidationFailed as exc:
            error = _token_error(exc)
        else:
            context = {"codes": codes, "new": True, "next": _next_url(request)}
            return render(request, "identity/backup_codes.html", context)
    context = {
        "next": _next_url(request),
        "qr_svg": two_factor.totp_qr_svg(device),
        "secret": two_factor.totp_secret(device),
        "error": error,
        "required": two_factor.is_required(user),
    }
    return render(request, "identity/two_factor_setup.html", context, status=400 if error else 200)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified() or not two_factor.has_device(request.user):
        return _continue(request)
    error = ""
    if request.method == "POST":
        try:
            two_factor.second_factor_verify(
                user=request.user, token=request.POST.get("token", ""), request=request
            )
        except ValidationFailed as exc:
            error = _token_error(exc)
        else:
            return _continue(request)
    context = {"error": error, "next": _next_url(request)}
    return render(request, "identity/two_factor_verify.html", context, status=400 if error else 200)


@login_required
@require_POST
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = two_factor.backup_codes_regenerate(actor=request.user)
    except ValidationFailed as exc:
        messages.error(request, _token_error(exc))
        return redirect("account_security")
    return render(request, "identity/backup_codes.html", {"codes": codes, "new": False})


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    try:
        two_factor.two_factor_remove(actor=request.user, token=request.POST.get("token", ""))
    except ValidationFailed as exc:
        messages.error(request, _token_error(exc))
    else:
        messages.success(request, "Two-factor authentication is off.")
    return redirect("account_security")
