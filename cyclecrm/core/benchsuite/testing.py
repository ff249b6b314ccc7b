"""A small real `Target` for tests of the suite's measurements: a fresh database (SQLite in a
temporary data directory, or a new database on the PostgreSQL server of the test run's
DATABASE_URL) migrated and filled by the benchmark generator (analytics/bench.py) at a small
scale, API tokens of the admin and a rep, and a production gunicorn serving it on 127.0.0.1.

Use the `bench_target` fixture (cyclecrm/core/benchsuite/tests/conftest.py) or `small_target`.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from cyclecrm.core.benchsuite.target import Target

HOST = "127.0.0.1"
PORTS = range(18200, 18300)  # this helper's share of the machine's ports
ADMIN, REP = "bench-admin-1", "bench-sales_rep-1"  # analytics/bench.py BENCH_ADMIN, BENCH_REP
SERVER_START_SECONDS = 300


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def _run(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cyclecrm", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"cyclecrm {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _postgres_database(url: str, name: str) -> str:
    """A new, empty database `name` on the server of `url`; its URL."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for_server(base_url: str, token: str, server: subprocess.Popen) -> None:
    """Until an API request succeeds: the first one loads every router, which takes a while on
    a loaded machine (hence gunicorn's long --timeout)."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode})")
        with contextlib.suppress(requests.RequestException):
            url = f"{base_url}/api/v1/segments/fields"
            if requests.get(url, headers=headers, timeout=SERVER_START_SECONDS).ok:
                return
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer in {SERVER_START_SECONDS} s")


@contextlib.contextmanager
def small_target(workdir: Path, contacts: int = 2000, database_url: str = "") -> Iterator[Target]:
    """Build the data set (on PostgreSQL when `database_url` names a server: a database named
    after it with `_target` appended is created and dropped), serve it, yield the Target."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CYCLECRM_DATA_DIR": str(data_dir), "DEBUG": "0"}
    for name in ("DATABASE_URL", "REDIS_URL", "HUEY_IMMEDIATE", "EMAIL_HOST", "EMAIL_BACKEND"):
        env.pop(name, None)
    if database_url:
        name = urlsplit(database_url).path.lstrip("/") + "_target"
        env["DATABASE_URL"] = _postgres_database(database_url, name)
    server = None
    try:
        _run(env, "migrate", "--no-input", "-v", "0")
        _run(env, "bench", "--child", "kpis-generate", "--contacts", str(contacts))
        token = _run(env, "token", "create", ADMIN, "--scope", "write").strip()
        rep_token = _run(env, "token", "create", REP, "--scope", "write").strip()
        port = free_port()
        base_url = f"http://{HOST}:{port}"
        command = [sys.executable, "-m", "gunicorn", "cyclecrm.config.wsgi", "--workers", "2"]
        command += ["--timeout", str(SERVER_START_SECONDS)]
        server = subprocess.Popen(
            [*command, "--bind", f"{HOST}:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "gunicorn.log").open("w"),
        )
        _wait_for_server(base_url, token, server)
        yield Target(
            database="postgresql" if database_url else "sqlite",
            scale=contacts,
            env=env,
            base_url=base_url,
            token=token,
            rep_token=rep_token,
            workdir=str(workdir),
            extra={"server_pid": str(server.pid)},
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if database_url:
            _drop_postgres_database(env["DATABASE_URL"])
