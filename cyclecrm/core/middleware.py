"""Request id for correlating audit history and logs, one log line per request; refusal of
oversized bodies and of NUL characters in input."""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from cyclecrm.core.context import current_request_var, request_id_var
from cyclecrm.core.errors import RequestTooLarge
from cyclecrm.core.logs import log_path, request_user_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Probes every few seconds would drown the log: their lines are DEBUG.
_PROBE_PATHS = {"/healthz", "/readyz"}
request_logger = logging.getLogger("cyclecrm.request")


class RequestIdMiddleware:
    """First in MIDDLEWARE: takes a sane incoming `X-Request-ID` (a proxy's, 1-64 characters of
    `A-Za-z0-9._-`) or makes one, returns it in the response, exposes it and the request to
    history rows and log records (core/context.py), and logs one line per request with its
    status and duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        request_token = current_request_var.set(request)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            _log_request(request, response, started)
        finally:
            current_request_var.reset(request_token)
            request_id_var.reset(id_token)
        return response


def _log_request(request: HttpRequest, response: HttpResponse, started: float) -> None:
    level = logging.DEBUG if request.path in _PROBE_PATHS else logging.INFO
    path = log_path(request)
    request_logger.log(
        level,
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "user_id": request_user_id(request),
        },
    )


class RequestSizeLimitMiddleware:
    """Answer 413 before reading a body whose declared size is over the limit.

    Multipart bodies (file uploads) may reach the largest upload the application accepts
    (`max_multipart_bytes`); every other body (JSON, form posts) `DATA_UPLOAD_MAX_MEMORY_SIZE`.
    Django alone would only notice the latter when the body is read, deep in a view or the CSRF
    check, and answer a bare 400; the size of uploads it does not limit at all. The API answers
    with its error body, pages with a short text.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = body_limit(request)
        if declared <= limit:
            return self.get_response(request)
        error = RequestTooLarge(limit)
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_body(), status=error.status)
        return HttpResponse(error.message, status=error.status, content_type="text/plain")


def max_multipart_bytes() -> int:
    """The largest upload (an import file) plus room for the form's other fields."""
    return (int(settings.CYCLECRM.get("IMPORT_MAX_UPLOAD_MB", 200)) + 1) * 1024 * 1024


def body_limit(request: HttpRequest) -> int:
    if request.content_type == "multipart/form-data":
        return max_multipart_bytes()
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or max_multipart_bytes()


class RejectNulCharacterMiddleware:
    """Refuse a request whose path, a query parameter or a JSON body value holds a NUL character.

    PostgreSQL text cannot store NUL, so such input would otherwise fail deep in a query on one
    database and not the other. HTML forms already reject it field by field (Django's
    ProhibitNullCharactersValidator); this covers what forms do not see. The API answers 422 with
    the field, like any other invalid value; pages answer 400.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        message = f"{field}: contains a NUL character, which is not allowed."
        if request.path.startswith("/api/"):
            body = {
                "error": {
                    "code": "validation_error",
                    "message": message,
                    "fields": {field: ["Contains a NUL character, which is not allowed."]},
                }
            }
            return JsonResponse(body, status=422)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _nul_field(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "\\0")
    if request.content_type == "application/json":
        body = request.body
        if b"\\u0000" in body or b"\x00" in body:
            return _nul_json_path(body)
    return None


def _nul_json_path(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return _find_nul(document, "")


def _find_nul(value: object, path: str) -> str | None:
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path or "body"
        found = _find_nul(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None
