"""A throw-away Redis on 127.0.0.1 for tests: its own port and temp directory, no persistence.

Use it through the pytest fixture `redis_server` (cyclecrm/jobs/tests/conftest.py). CI installs
redis-server (.ci/run); a machine without it fails those tests with a message saying so, unless
CYCLECRM_SKIP_REDIS_TESTS=1 explicitly allows skipping them.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cyclecrm.core.testing.mailservers import HOST, free_port

SKIP_ENV = "CYCLECRM_SKIP_REDIS_TESTS"
MISSING = (
    "redis-server is not installed: apt-get install redis-server (CI installs it), or set "
    f"{SKIP_ENV}=1 to skip the Redis tests on this machine."
)


def redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server",) if os.access(path, os.X_OK)), None
    )


def started_redis_server() -> "RedisTestServer":
    """A started throw-away Redis; fails the test (or skips it when SKIP_ENV allows) when
    redis-server is missing."""
    import pytest

    binary = redis_binary()
    if binary is None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(MISSING)
        pytest.fail(MISSING)
    server = RedisTestServer(binary)
    server.start()
    return server


class RedisTestServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.host = HOST
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cyclecrm-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        log = self.root / "redis.log"
        options = {
            "bind": self.host,
            "port": str(self.port),
            "dir": str(self.root),
            "save": "",
            "appendonly": "no",
            "logfile": str(log),
        }
        arguments = [item for name, value in options.items() for item in (f"--{name}", value)]
        self._process = subprocess.Popen(
            [self.binary, *arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start; see {log}")

    def ping(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
