"""`cyclecrm worker` as an operator starts it: a real process that names its queue and stops
gracefully on SIGINT."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cyclecrm.jobs.queue import redacted_url

ROOT = Path(__file__).resolve().parents[3]


def _run_worker(tmp_path: Path, **env: str) -> str:
    environment = {**os.environ, "CYCLECRM_DATA_DIR": str(tmp_path), "REDIS_URL": "", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "cyclecrm", "worker", "--no-periodic", "--workers", "1"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "The following commands are available" in line:
                break
        # The consumer installs its signal handlers just after that line, with no log of its own.
        time.sleep(2)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        rest = process.stdout.read()  # the output is small: the pipe never filled up
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(lines) + rest
    return "".join(lines) + rest


def test_the_worker_names_its_sqlite_queue_and_stops_on_sigint(tmp_path):
    output = _run_worker(tmp_path)

    queue = tmp_path / "huey.sqlite3"
    assert f"Cycle CRM worker: SQLite queue at {queue}; 1 thread worker(s), periodic jobs off." in (
        output
    )
    assert output.count("Huey consumer started") == 1  # logged once, not twice
    assert "cyclecrm.integrations.tasks.send_email" in output
    assert "Consumer exiting" in output


@pytest.mark.usefixtures("redis_server")
def test_the_worker_uses_redis_when_configured(tmp_path, redis_server):
    url = f"redis://:sekret@{redis_server.host}:{redis_server.port}/0"
    output = _run_worker(tmp_path, REDIS_URL=url)

    redacted = f"redis://:***@{redis_server.host}:{redis_server.port}/0"
    assert f"Cycle CRM worker: Redis queue at {redacted};" in output
    assert "sekret" not in output


def test_redis_passwords_are_not_shown():
    assert redacted_url("redis://user:pw@redis.internal:6380/1") == (
        "redis://user:***@redis.internal:6380/1"
    )
    assert redacted_url("redis://redis.internal:6379/0") == "redis://redis.internal:6379/0"
