"""Every API failure becomes `{"error": {"code", "message", "fields"}}` here, and only here."""

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from cyclecrm.core.errors import CrmError, RequestTooLarge

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_name(loc: list[Any]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "params"}:
        parts = parts[1:]
    return ".".join(parts) or "non_field"


def _validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        message = error.get("msg", "Invalid value.")
        if error.get("type") == "extra_forbidden":
            message = "Unknown field."
        fields.setdefault(_field_name(error.get("loc", [])), []).append(message)
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(CrmError)
    def crm_error(request: HttpRequest, exc: CrmError) -> HttpResponse:
        return respond(request, exc.status, exc.as_body())

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        body = error_body(
            "validation_error", "Some fields are not valid.", _validation_fields(exc.errors)
        )
        return respond(request, 422, body)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body("not_authenticated", "Send a valid token: Authorization: Bearer <token>.")
        return respond(request, 401, body)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 403: "permission_denied", 404: "not_found"}
        if isinstance(exc, Throttled):
            wait = f" Retry in {math.ceil(exc.wait)} s." if exc.wait else ""
            body = error_body("rate_limited", f"Too many requests; please try again later.{wait}")
            return respond(request, 429, body)
        return respond(
            request, exc.status_code, error_body(code.get(exc.status_code, "error"), str(exc))
        )

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        error = RequestTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return respond(request, error.status, error.as_body())

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "Not found."))
