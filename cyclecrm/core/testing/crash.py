"""Killing real workers in tests: a `Site` is a database and a data directory (SQLite queue
file, uploads) that `cyclecrm worker` processes share with the test, on SQLite (a database file
copied from the test database) or on PostgreSQL (the test database itself). A crash test
enqueues a job, starts a worker, SIGKILLs it partway, starts another, and compares the tables
with a clone of the site that ran the same job uninterrupted (ADR 0033)."""

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import connection, connections
from huey.storage import SqliteStorage

from cyclecrm.core.testing.mailservers import HOST, free_port

ROOT = Path(__file__).resolve().parents[3]
WAIT = 120.0  # per step; the shared CI machine can take a minute to start a worker


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


class Site:
    """Where the workers of one run work: `directory` (CYCLECRM_DATA_DIR: queue file,
    uploads, and on SQLite the database file) and the database they use."""

    def __init__(self, directory: Path, *, database: str = "", env: dict[str, str] | None = None):
        self.directory = directory
        self.database = database  # the PostgreSQL database name; "" on SQLite
        self.extra_env = env or {}
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def queue_file(self) -> Path:
        return self.directory / "huey.sqlite3"

    @property
    def sqlite_file(self) -> Path:
        return self.directory / "cyclecrm.sqlite3"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {"CYCLECRM_DATA_DIR": str(self.directory), "PYTHONPATH": str(ROOT), **self.extra_env}
        if self.database:
            env["DATABASE_URL"] = _postgres_url(self.database)
        return env

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run a query on the site's database from outside Django (no test transaction)."""
        if self.database:
            with psycopg.connect(**_pg_params(self.database), autocommit=True) as db:
                return [tuple(row) for row in db.execute(sql.replace("?", "%s"), params)]
        with sqlite3.connect(self.sqlite_file, timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> None:
        """Run a statement that returns no rows on the site's database, committed."""
        if self.database:
            with psycopg.connect(**_pg_params(self.database), autocommit=True) as db:
                db.execute(sql.replace("?", "%s"), params)
            return
        with sqlite3.connect(self.sqlite_file, timeout=30) as db:
            db.execute(sql, params)

    def value(self, sql: str, params: tuple = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def clone(self, directory: Path) -> "Site":
        """A copy of this site (data directory, queue and database) while no worker runs."""
        if directory.exists():
            shutil.rmtree(directory)
        shutil.copytree(self.directory, directory)
        if not self.database:
            return Site(directory, env=self.extra_env)
        name = f"{self.database}_clean"
        connections.close_all()  # a template database must have no other session
        with psycopg.connect(**_pg_params("postgres"), autocommit=True) as db:
            # Left-over sessions of earlier in-process consumers' threads: no worker runs now.
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            )
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.database}"')
        return Site(directory, database=name, env=self.extra_env)

    def fresh(self, directory: Path) -> "Site":
        """An empty site beside this one: a new data directory and, on PostgreSQL, a new empty
        database (the restore target of a backup test)."""
        if directory.exists():
            shutil.rmtree(directory)
        if not self.database:
            return Site(directory, env=self.extra_env)
        name = f"{self.database}_fresh"
        with psycopg.connect(**_pg_params("postgres"), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
        return Site(directory, database=name, env=self.extra_env)

    def run(self, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
        """`cyclecrm ARGS` on this site, to its end."""
        return subprocess.run(
            [sys.executable, "-m", "cyclecrm", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def drop(self) -> None:
        """Drop a cloned or fresh PostgreSQL database (the test database itself is pytest's)."""
        if self.database.endswith(("_clean", "_fresh")):
            with psycopg.connect(**_pg_params("postgres"), autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


@contextmanager
def site_for_test(directory: Path, **env: str) -> Iterator[Site]:
    """A site on the test database, with the project's Huey enqueueing into its queue file and
    DATA_DIR pointing at its directory while the block sets data up. On SQLite, `freeze()` must
    then copy the test database into the site before a worker starts."""
    from huey.contrib.djhuey import HUEY

    database = connection.settings_dict["NAME"] if on_postgresql() else ""
    site = Site(directory, database=database, env=env)
    previous = HUEY.storage, HUEY._immediate, settings.DATA_DIR
    HUEY.storage = SqliteStorage("cyclecrm", filename=str(site.queue_file))
    HUEY._immediate = False
    settings.DATA_DIR = directory
    try:
        yield site
    finally:
        HUEY.storage, HUEY._immediate = previous[:2]
        settings.DATA_DIR = previous[2]


def freeze(site: Site) -> None:
    """On SQLite: copy the test database (in memory) into the site's database file."""
    if site.database:
        return
    connection.ensure_connection()
    with sqlite3.connect(site.sqlite_file) as out:
        connection.connection.backup(out)


class _SlowCounter:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.counts: Counter[str] = Counter()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)  # a slow relay: a kill lands in the middle of a send
        self.counts.update(address.lower() for address in envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class SlowSmtpSink:
    """A real SMTP server on 127.0.0.1 that takes `delay` seconds per message and counts the
    messages accepted per recipient address (`counts`)."""

    def __init__(self, delay: float = 0.05) -> None:
        self.host, self.port = HOST, free_port()
        self._handler = _SlowCounter(delay)
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)

    def __enter__(self) -> "SlowSmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @property
    def counts(self) -> Counter[str]:
        return self._handler.counts

    def env(self) -> dict[str, str]:
        """The worker's e-mail settings to send here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_USE_SSL": "0",
        }


class Worker:
    """A `cyclecrm worker` process (one thread, no periodic jobs: nothing but the sweep at
    start-up may resume an interrupted job) with its output in a log file."""

    def __init__(self, site: Site, name: str, **env: str) -> None:
        self.log = site.directory.parent / f"{site.directory.name}-{name}.log"
        command = [sys.executable, "-m", "cyclecrm", "worker", "--no-periodic", "--workers", "1"]
        command += ["--delay", "0.05", "--max-delay", "0.2", "--skip-checks"]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env={**site.env(), **env}, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """SIGKILL: no handler, no clean-up, as in an OOM kill or a power cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(condition: Callable[[], bool], what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}:\n{worker.output()}")
        time.sleep(0.02)
    log = worker.output()[-3000:] if worker is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def job_state(site: Site, task_id: str) -> tuple | None:
    rows = site.rows(
        "SELECT state, attempts, resumes, worker FROM jobs_job WHERE task_id = ?", (task_id,)
    )
    return rows[0] if rows else None


def _pg_params(database: str) -> dict[str, Any]:
    config = connection.settings_dict
    return {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": database,
    }


def _postgres_url(database: str) -> str:
    params = _pg_params(database)
    user = params["user"] + (f":{params['password']}" if params["password"] else "")
    return f"postgres://{user}@{params['host']}:{params['port']}/{database}"
