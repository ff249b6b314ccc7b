"""The user's own security page: two-factor enrolment, backup codes, removal, and the code
page of the second login step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity import two_factor
from cyclecrm.identity.models import User


def _token_error(exc: ValidationFailed) -> str:
    return " ".join(exc.fields.get("token", [exc.message]))


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
            return render(request, "identity/backup_codes.html", {"codes": codes, "new": True})
    context = {
        "qr_svg": two_factor.totp_qr_svg(device),
        "secret": two_factor.totp_secret(device),
        "error": error,
        "required": two_factor.is_required(user),
    }
    return render(request, "identity/two_factor_setup.html", context, status=400 if error else 200)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified() or not two_factor.has_device(request.user):
        return redirect("home")
    error = ""
    if request.method == "POST":
        try:
            two_factor.second_factor_verify(
                user=request.user, token=request.POST.get("token", ""), request=request
            )
        except ValidationFailed as exc:
            error = _token_error(exc)
        else:
            return redirect("home")
    status = 400 if error else 200
    return render(request, "identity/two_factor_verify.html", {"error": error}, status=status)


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
