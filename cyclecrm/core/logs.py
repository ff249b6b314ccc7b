"""Log records with request context, as one JSON object per line or as text.

`RequestContextFilter` (on the console handler, settings.LOGGING) gives every record the id,
user and path of the request or job it was written in, and blanks secrets the URL carries
(signed links, tokens, calendar keys) out of the message. `JsonFormatter` writes the record as
one JSON object per line (`LOG_FORMAT=json`, the production default) for log collectors.
docs/operations.md, "Logs", lists the fields.
"""

import json
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils.functional import SimpleLazyObject, empty

from cyclecrm.core.context import current_request_var, request_id_var

if TYPE_CHECKING:  # settings import this module: it imports nothing that reads settings
    from django.http import HttpRequest

# URL arguments whose values are credentials (`/u/<signed>`, `/s/<token>/`, `/f/<public_key>/`).
SECRET_URL_ARGUMENT = re.compile(r"token|key|signed|secret|password", re.IGNORECASE)
REDACTED = "***"
NO_REQUEST = "-"
FIELDS = ("request_id", "user_id", "path", "method", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Adds `request_id` (`-` outside requests and jobs), `user_id` and `path` to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx/5xx response ("Not Found: <path>") after the middleware returned,
        # with the request on the record.
        request = current_request_var.get() or _request_of(record)
        if not getattr(record, "request_id", None):
            record.request_id = (
                request_id_var.get() or getattr(request, "request_id", "") or NO_REQUEST
            )
        if request is not None:
            record.user_id = getattr(record, "user_id", None) or request_user_id(request)
            record.path = getattr(record, "path", None) or log_path(request)
            _redact_message(record, request)
        return True


def _request_of(record: logging.LogRecord) -> "HttpRequest | None":
    from django.http import HttpRequest

    request = getattr(record, "request", None)
    return request if isinstance(request, HttpRequest) else None


def request_user_id(request: "HttpRequest") -> int | None:
    """The signed-in user's id if authentication already ran; never queries to find it."""
    # `user` first: an API token replaces the session's (anonymous) user there, while
    # `_cached_user` keeps what the session middleware found.
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is None:
        user = request.__dict__.get("_cached_user")
    return getattr(user, "pk", None)


def log_path(request: "HttpRequest") -> str:
    """The request path with credential URL arguments replaced by `***`."""
    return redact(request.path, request)


def redact(text: str, request: "HttpRequest") -> str:
    for value in _secret_values(request):
        text = text.replace(value, REDACTED)
    return text


def _secret_values(request: "HttpRequest") -> list[str]:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return []
    return [
        str(value)
        for name, value in match.kwargs.items()
        if SECRET_URL_ARGUMENT.search(name) and str(value)
    ]


def _redact_message(record: logging.LogRecord, request: "HttpRequest") -> None:
    secrets = _secret_values(request)
    if not secrets:
        return
    message = record.getMessage()
    redacted = redact(message, request)
    if redacted != message:
        record.msg, record.args = redacted, ()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, message, request_id and, when
    known, user_id, path, method, status, duration_ms, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if name == "status" and value is None:
                value = getattr(record, "status_code", None)  # django.request's records
            if value is not None and value != NO_REQUEST:
                entry[name] = value
        entry.setdefault("request_id", None)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """settings.LOGGING for `LOG_FORMAT` (`json` or `text`)."""
    if log_format not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'text', not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "cyclecrm.core.logs.RequestContextFilter"}},
        "formatters": {
            "json": {"()": "cyclecrm.core.logs.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_context"],
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "INFO"}},
    }
