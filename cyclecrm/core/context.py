"""Per-request context that deep layers (history, logs) read without threading it through calls."""

from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
# The HttpRequest being served, for the log records written while serving it (core/logs.py).
current_request_var: ContextVar[Any] = ContextVar("current_request", default=None)
