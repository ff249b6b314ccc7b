"""Structured logs: one JSON object per line with the request's id, user, path, status and
duration; the id comes from a sane X-Request-ID or is made, and is on history rows too;
credentials in URLs never reach a log line."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from cyclecrm.core.logs import JsonFormatter, RequestContextFilter, logging_config
from cyclecrm.core.models import HistoryEntry

pytestmark = pytest.mark.django_db
JSON = "application/json"
TOKEN_LIKE = "eyJyIjoxMjN9:1tXyZa:SeCrEtSiGnAtUrE"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The root logger also writes, through the production filter and formatter, to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def request_lines(stream: io.StringIO) -> list[dict]:
    return [entry for entry in parsed(stream) if entry["logger"] == "cyclecrm.request"]


def test_a_request_logs_one_json_line_with_its_context(log_lines, web_client, rep_a):
    response = web_client(rep_a).get("/contacts/", headers={"X-Request-ID": "lb-42.a_b"})

    [line] = request_lines(log_lines)
    assert response["X-Request-ID"] == "lb-42.a_b"
    assert line["request_id"] == "lb-42.a_b"
    assert (line["level"], line["method"], line["path"]) == ("INFO", "GET", "/contacts/")
    assert (line["status"], line["user_id"]) == (200, rep_a.pk)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["message"] == "GET /contacts/ 200"
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize(
    "incoming", ["", "has space", "x" * 65, "semi;colon", "new\\nline", "<script>"]
)
def test_an_unsafe_incoming_id_is_replaced(log_lines, client, incoming):
    response = client.get("/accounts/login/", headers={"X-Request-ID": incoming})

    made = response["X-Request-ID"]
    assert made != incoming and len(made) == 32 and made.isalnum()
    assert request_lines(log_lines)[0]["request_id"] == made


def test_the_request_id_is_on_the_history_rows_it_wrote(api_client, rep_a):
    client = api_client(rep_a)
    response = client.post(
        "/api/v1/contacts",
        {"last_name": "Ada"},
        content_type=JSON,
        headers={"X-Request-ID": "trace-7"},
    )

    entry = HistoryEntry.objects.get(record_type="contact", object_id=response.json()["id"])
    assert entry.request_id == "trace-7"


def test_the_user_of_an_api_token_is_logged(log_lines, api_client, rep_a):
    api_client(rep_a).get("/api/v1/contacts")

    assert request_lines(log_lines)[0]["user_id"] == rep_a.pk


def test_credentials_in_urls_are_not_logged(log_lines, client):
    response = Client().get(f"/u/{TOKEN_LIKE}")

    assert response.status_code == 404
    assert TOKEN_LIKE not in log_lines.getvalue()
    assert TOKEN_LIKE[:20] not in log_lines.getvalue()
    assert request_lines(log_lines)[0]["path"] == "/u/***"


def test_an_error_is_logged_with_its_request_id_and_traceback(log_lines):
    from cyclecrm.core.context import request_id_var

    token = request_id_var.set("req-err")
    try:
        try:
            raise ValueError("broken")
        except ValueError:
            logging.getLogger("cyclecrm.test").exception("It failed for %s", "someone")
    finally:
        request_id_var.reset(token)

    [line] = [entry for entry in parsed(log_lines) if entry["logger"] == "cyclecrm.test"]
    assert (line["level"], line["message"], line["request_id"]) == (
        "ERROR",
        "It failed for someone",
        "req-err",
    )
    assert "ValueError: broken" in line["exception"]


def test_outside_a_request_the_id_is_null(log_lines):
    logging.getLogger("cyclecrm.test").warning("quiet")

    [line] = parsed(log_lines)
    assert line["request_id"] is None and "path" not in line


def test_text_format_names_the_request_id():
    config = logging_config("text", "INFO")
    formatter = logging.Formatter(config["formatters"]["text"]["format"])
    record = logging.LogRecord("cyclecrm.x", logging.INFO, __file__, 1, "hello", None, None)
    RequestContextFilter().filter(record)

    assert formatter.format(record).endswith("INFO cyclecrm.x [-] hello")


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be 'json' or 'text', not 'xml'"):
        logging_config("xml", "INFO")
