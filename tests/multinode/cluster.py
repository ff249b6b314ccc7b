"""A small Cycle CRM cluster on loopback for the multi-node test: a fresh PostgreSQL database on
the server of DATABASE_URL, a throw-away Redis, an SMTP sink, two gunicorn web processes and two
`cyclecrm worker` processes, all with one production configuration (docs/deployment.md)."""

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url
import psycopg
import requests

from cyclecrm.core.testing.mailservers import HOST, SmtpTestServer, free_port
from cyclecrm.core.testing.redisserver import RedisTestServer

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
START_TIMEOUT = 600  # seconds; a loaded 2-core machine starts Django slowly (not a timing check)
ADMIN = "mn-admin"
PASSWORD = "multinode-" + secrets.token_hex(8)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Database:
    """A uniquely named database on the PostgreSQL server of `server_url`, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        config = dj_database_url.parse(server_url)
        self.name = f"cyclecrm_multinode_{uuid.uuid4().hex[:10]}"
        self._admin = dict(
            host=config["HOST"] or HOST,
            port=config["PORT"] or 5432,
            user=config["USER"],
            password=config["PASSWORD"] or None,
            dbname="postgres",
        )
        user = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
        self.url = f"postgres://{user}@{self._admin['host']}:{self._admin['port']}/{self.name}"

    def create(self) -> None:
        """Empty, or a copy of MULTINODE_TEMPLATE_DB (a database already migrated, to save the
        minutes `migrate` takes on a busy machine while working on the test; `migrate` then
        applies only what is new)."""
        template = os.environ.get("MULTINODE_TEMPLATE_DB", "")
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(**self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"{clause}')

    def drop(self) -> None:
        with psycopg.connect(**self._admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(**{**self._admin, "dbname": self.name}, autocommit=True)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


@dataclass
class Cluster:
    database_server_url: str
    root: Path
    web_ports: list[int] = field(default_factory=list)
    webs: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    token: str = ""
    _secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    def __post_init__(self) -> None:
        self.database = Database(self.database_server_url)
        self.redis: RedisTestServer | None = None
        self.smtp = SmtpTestServer()
        self._cleanup = ExitStack()  # undoes what started, last first, even after a failure

    # -- configuration ------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """One environment for every process, as one EnvironmentFile on every node. The data
        directory stands for the shared volume (imports are read by whichever worker runs
        them); HTTPS is what the reverse proxy says with X-Forwarded-Proto."""
        assert self.redis is not None
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CYCLECRM_", "DJANGO_", "HUEY_", "EMAIL_"))
            and key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
        }
        return {
            **inherited,
            "CYCLECRM_ENV": "production",
            "SECRET_KEY": self._secret_key,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.database.url,
            "REDIS_URL": self.redis.url,
            "CYCLECRM_DATA_DIR": str(self.root / "shared"),
            "STATIC_ROOT": str(self.root / "static"),
            "EMAIL_HOST": self.smtp.host,
            "EMAIL_PORT": str(self.smtp.port),
            "DEFAULT_FROM_EMAIL": "crm@multinode.example.com",
            "HUEY_WORKERS": "2",
            # The workload's clients share one token: its per-token budgets are raised.
            "CYCLECRM_RATE_API_READ": "100000000/60",
            "CYCLECRM_RATE_API_WRITE": "100000000/60",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, redis_binary: str) -> None:
        self.redis = RedisTestServer(redis_binary)
        self.redis.start()
        self._cleanup.callback(self.redis.stop)
        self.smtp.start()
        self._cleanup.callback(self.smtp.stop)
        self.database.create()
        self._cleanup.callback(self.database.drop)
        self._prepare()
        self.web_ports = [free_port(), free_port()]
        for index, port in enumerate(self.web_ports, 1):
            self.webs.append(self._web(index, port))
            self._cleanup.callback(self.webs[-1].stop)
        for index in (1, 2):
            self.workers.append(self._worker(index))
            self._cleanup.callback(self.workers[-1].stop)
        for web, port in zip(self.webs, self.web_ports, strict=True):
            wait_until(lambda p=port, w=web: self._healthy(p, w), START_TIMEOUT, web.name)
        for worker in self.workers:
            wait_until(
                lambda w=worker: self._consuming(w), START_TIMEOUT, f"{worker.name} to start"
            )

    def stop_workers(self) -> list[int]:
        """SIGINT: the graceful stop of docs/deployment.md (running jobs finish)."""
        return [worker.stop() for worker in self.workers]

    def stop(self) -> None:
        self._cleanup.close()

    def log_tails(self, characters: int = 3000) -> str:
        return "\n".join(
            f"----- {process.name} -----\n{process.text()[-characters:]}"
            for process in [*self.webs, *self.workers]
        )

    # -- helpers ------------------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 1800) -> str:
        result = subprocess.run(
            [PYTHON, "-m", "cyclecrm", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"cyclecrm {' '.join(args)}:\n{result.stderr[-4000:]}"
        return result.stdout

    def _prepare(self) -> None:
        """migrate and collectstatic side by side (the deploy job), then an admin and a token."""
        static = subprocess.Popen(
            [PYTHON, "-m", "cyclecrm", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            self.manage("migrate", "--noinput")
        finally:
            _, errors = static.communicate(timeout=1800)
        assert static.returncode == 0, f"collectstatic:\n{errors[-4000:]}"
        self.manage(
            "user", "create", ADMIN, "--role", "admin", "--superuser", "--password", PASSWORD
        )
        self.token = self.manage("token", "create", ADMIN, "--scope", "write").strip()

    def _spawn(self, name: str, command: list[str], stop_signal: int) -> Process:
        log = self.root / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT
            )
        return Process(name, popen, log, stop_signal)

    def _web(self, index: int, port: int) -> Process:
        command = [
            PYTHON, "-m", "gunicorn", "cyclecrm.config.wsgi",
            "--bind", f"{HOST}:{port}",
            "--workers", "2",
            "--timeout", "120",
            "--graceful-timeout", "20",
            "--no-control-socket",  # its default path is one per user, not per process
        ]  # fmt: skip
        return self._spawn(f"web{index}", command, signal.SIGTERM)

    def _worker(self, index: int) -> Process:
        # Both with periodic jobs on: their schedulers share out each minute (ADR 0028).
        command = [PYTHON, "-m", "cyclecrm", "worker", "--workers", "2"]
        return self._spawn(f"worker{index}", command, signal.SIGINT)

    @staticmethod
    def _healthy(port: int, process: Process) -> bool:
        assert process.popen.poll() is None, f"{process.name} exited:\n{process.text()[-4000:]}"
        try:
            return requests.get(f"http://{HOST}:{port}/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    @staticmethod
    def _consuming(process: Process) -> bool:
        assert process.popen.poll() is None, f"{process.name} exited:\n{process.text()[-4000:]}"
        return "Huey consumer started" in process.text()
