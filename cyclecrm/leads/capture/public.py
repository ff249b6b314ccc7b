"""The public pages of capture forms: the form itself (`/f/<key>/`, no login) and the double
opt-in confirmation link (`/f/confirm/<token>/`).

The form page is exempt from CSRF on purpose: the embed snippet posts to it from other sites,
where no CSRF cookie can exist. There is no session to abuse (no login, nothing read back), and
spam is held off by the honeypot, the rate limits and the signed form token of the rendered page.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cyclecrm.core.csp import allow_form_redirect
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.core.ratelimit import RateLimited, client_ip, public_rate_limit
from cyclecrm.leads.capture import selectors, services
from cyclecrm.leads.capture.embed import field_rows
from cyclecrm.leads.capture.fields import (
    CONSENT_FIELD,
    CONSENT_TRUE,
    EXTRA_MAX_LENGTH,
    HONEYPOT_FIELD,
    REFERRAL_FIELD,
    TOKEN_FIELD,
    UTM_FIELDS,
    UTM_MAX_LENGTH,
)
from cyclecrm.leads.capture.tokens import form_token
from cyclecrm.leads.models import CaptureForm

CONFIRM_STATUS = {
    services.CONFIRMED: 200,
    services.ALREADY_CONFIRMED: 200,
    services.EXPIRED: 410,
    services.INVALID: 404,
}


def _text(value: Any, limit: int) -> str:
    return str(value or "").replace("\x00", "")[:limit]


def _form_page(
    request: HttpRequest,
    form: CaptureForm,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    alert: str = "",
    alert_kind: str = "warning",
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    known = {row["name"] for row in field_rows(form)} | {CONSENT_FIELD}
    context = {
        "form": form,
        "rows": field_rows(form, values, errors),
        "utm": [(name, _text(values.get(name), UTM_MAX_LENGTH)) for name in UTM_FIELDS],
        "referral": _text(values.get(REFERRAL_FIELD), EXTRA_MAX_LENGTH),
        "referral_field": REFERRAL_FIELD,
        "honeypot": HONEYPOT_FIELD,
        "token_field": TOKEN_FIELD,
        "token": form_token(form.public_key),
        "consent_field": CONSENT_FIELD,
        "consent_checked": str(values.get(CONSENT_FIELD, "")).lower() in CONSENT_TRUE,
        "consent_errors": errors.get(CONSENT_FIELD, []),
        "other_errors": [
            f"{reason}" if name == "non_field" else f"{name}: {reason}"
            for name, reasons in errors.items()
            if name not in known
            for reason in reasons
        ],
        "alert": alert,
        "alert_kind": alert_kind,
    }
    response = render(request, "leads/capture/public_form.html", context, status=status)
    return allow_form_redirect(response, form.redirect_url)


def _missing(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/capture/public_missing.html", status=404)


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@public_rate_limit("forms")
def capture_form_public(request: HttpRequest, public_key: str) -> HttpResponse:
    try:
        form = selectors.capture_form_public(public_key=public_key)
    except NotFound:
        return _missing(request)
    if request.method != "POST":
        if request.method == "GET":
            services.form_view_count(form=form)
        return _form_page(request, form, values=request.GET.dict())
    values = request.POST.dict()
    try:
        receipt = services.submission_receive(
            form=form,
            data=values,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            site_url=request.build_absolute_uri("/"),
        )
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        alert = f"Too many submissions from your network. Please try again in {minutes} min."
        response = _form_page(
            request, form, values=values, alert=alert, alert_kind="danger", status=429
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ValidationFailed as exc:
        alert = "Please check the fields marked below."
        return _form_page(request, form, values=values, errors=exc.fields, alert=alert, status=422)
    if receipt.redirect_url:
        return _see_other(receipt.redirect_url)
    return render(request, "leads/capture/public_thanks.html", {"form": form, "receipt": receipt})


@never_cache
@require_GET
@public_rate_limit("forms")
def capture_form_confirm(request: HttpRequest, token: str) -> HttpResponse:
    result = services.submission_confirm(token=token)
    return render(
        request,
        "leads/capture/confirm.html",
        {"outcome": result.outcome, "form": result.form},
        status=CONFIRM_STATUS[result.outcome],
    )
