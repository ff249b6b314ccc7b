"""Fixtures for automation: a real HTTP receiver on 127.0.0.1; the immediate Huey and the real
SMTP server come from the integrations suite."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cyclecrm.integrations.tests.conftest import (  # noqa: F401 (fixtures)
    attachments_in_tmp,
    huey_immediate,
    smtp_server,
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: records each POST and answers with the next queued status
    (200 once the queue is empty). `hold_first()` keeps the first request waiting for its answer
    until `release` is set, with `arrived` set once it is in (for races between workers)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None

    def hold_first(self) -> threading.Event:
        self.release = threading.Event()
        return self.release

    def answer(self, *codes: int) -> None:
        self.statuses.extend(codes)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.requests.append(Received(self.path, headers, body))
            receiver.arrived.set()
            if receiver.release is not None and len(receiver.requests) == 1:
                receiver.release.wait(timeout=120)
            code = receiver.statuses.pop(0) if receiver.statuses else 200
            reply = json.dumps({"received": True, "code": code}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    item = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    server.RequestHandlerClass = _handler(item)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield item
    server.shutdown()
    server.server_close()
