"""A small HTTP load client: keep-alive connections (http.client, one per client thread),
a warm-up, then a fixed number of operations shared by `concurrency` clients.

An operation is a function of (client, index) making one or more requests; its latency is
the time of all of them. A response that is not 2xx (or a connection error) counts the
operation as an error and is remembered (status, path, start of the body) for the report.
"""

import http.client
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cyclecrm.core.benchsuite.stats import summarise

CONCURRENCY = 8


class HttpError(Exception):
    """A response that is not 2xx."""


class Client:
    """One keep-alive connection with default headers."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = headers
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; returns (status, headers, body). Reconnects once if the server
        closed the kept-alive connection."""
        sent = {**self.headers, **(headers or {})}
        data: bytes | None = None
        if body is not None and not isinstance(body, bytes | str):
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = body.encode() if isinstance(body, str) else body
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, path, body=data, headers=sent)
                response = connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """A request whose answer must be 2xx; returns the decoded JSON (or the text)."""
        status, headers, payload = self.request(method, path, body)
        if not 200 <= status < 300:
            raise HttpError(f"{status} {method} {path}: {payload[:200]!r}")
        if headers.get("content-type", "").startswith("application/json"):
            return json.loads(payload)
        return payload

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


Operation = Callable[[Client, int], Any]


def run_load(
    base_url: str,
    headers: dict[str, str],
    operation: Operation,
    *,
    requests: int,
    warmup: int,
    concurrency: int = CONCURRENCY,
    duration: float | None = None,
) -> dict[str, Any]:
    """`warmup` operations (not counted), then `requests` operations over `concurrency`
    clients (stopping early once `duration` seconds have passed); returns the figures
    (stats.summarise) plus up to five error samples. Operation indexes run from 0 (warm-up
    first), so an operation can pick distinct records by index."""
    clients = [Client(base_url, headers) for _ in range(concurrency)]
    try:
        _phase(clients, operation, range(warmup))
        started = time.perf_counter()
        deadline = started + duration if duration else None
        measured = range(warmup, warmup + requests)
        latencies, problems = _phase(clients, operation, measured, deadline)
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    result = summarise(latencies, errors=len(problems), elapsed=elapsed)
    result["concurrency"] = concurrency
    if problems:
        result["error_samples"] = problems[:5]
    return result


def _phase(
    clients: list[Client], operation: Operation, indexes: range, deadline: float | None = None
) -> tuple[list[float], list[str]]:
    pending = iter(indexes)
    lock = threading.Lock()
    latencies: list[float] = []
    problems: list[str] = []

    def work(client: Client) -> None:
        while True:
            with lock:
                index = next(pending, None)
            if index is None or (deadline and time.perf_counter() > deadline):
                return
            started = time.perf_counter()
            try:
                operation(client, index)
                problem = None
            except Exception as exc:  # every failure is counted and reported, not raised
                client.close()
                problem = f"{type(exc).__name__}: {exc}"[:300]
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                if problem:
                    problems.append(problem)

    threads = [threading.Thread(target=work, args=(client,), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, problems
