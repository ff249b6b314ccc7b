"""The processes the suite runs: a durable, tuned PostgreSQL server (when no --database is
given), the production HTTP server (gunicorn), and a sampler of their resident memory."""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclecrm.core.benchsuite.load import Client

GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4


def free_port(start: int, tries: int = 100) -> int:
    """The first port from `start` nobody listens on at 127.0.0.1."""
    for port in range(start, start + tries):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}..{start + tries - 1}")


# --- PostgreSQL ------------------------------------------------------------------------------


def ram_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def pg_settings() -> dict[str, str]:
    """Durable (fsync and synchronous commit on) and tuned for the machine (issue 10)."""
    ram_mb = ram_bytes() // 2**20
    return {
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
        "shared_buffers": f"{min(4096, ram_mb // 4)}MB",
        "effective_cache_size": f"{ram_mb // 2}MB",
        "work_mem": "32MB",
        "maintenance_work_mem": "1GB",
        "max_wal_size": "8GB",
        "random_page_cost": "1.1",
        "jit": "off",
        "max_connections": "100",
    }


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if not found:
        raise RuntimeError(
            "No PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install Debian's "
            "postgresql package (scripts/pg-test-server.sh does it) or pass --database URL."
        )
    return found[-1].parent


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root it runs as `postgres` (like
    scripts/pg-test-server.sh, which creates that user if missing)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class Postgres:
    """A PostgreSQL cluster in `root` (root/data), listening on 127.0.0.1:`port`."""

    root: Path
    port: int
    bin: Path = field(default_factory=_pg_bin)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> dict[str, str]:
        """initdb if the cluster is new, write the settings, start; returns the settings."""
        if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(
                [
                    *(str(self.bin / "initdb"), f"--pgdata={self.data}", "--username=postgres"),
                    *("--auth=trust", "--encoding=UTF8", "--no-locale"),
                ]
            )
        settings = pg_settings()
        conf = "\n".join(f"{key} = '{value}'" for key, value in settings.items())
        auto = self.data / "postgresql.auto.conf"
        auto.write_text(
            "# written by the benchmark suite (cyclecrm/core/benchsuite/servers.py)\n"
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
            f"unix_socket_directories = '{self.root}'\n{conf}\n"
        )
        if os.geteuid() == 0:
            shutil.chown(auto, "postgres")
        self._run(
            [
                *(str(self.bin / "pg_ctl"), "-D", str(self.data)),
                *("-l", str(self.root / "server.log"), "-w", "-t", "120", "start"),
            ]
        )
        return settings

    def stop(self) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def _run(self, command: list[str]) -> None:
        completed = subprocess.run(
            _as_server_user(command), cwd=self.root, capture_output=True, text=True, check=False
        )
        if completed.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {completed.stderr[-2000:]}")


def pg_execute(url: str, *statements: str) -> list[Any]:
    """Run statements outside a transaction (CREATE/DROP DATABASE); returns the last rows."""
    import psycopg

    rows: list[Any] = []
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            cursor = connection.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
    return rows


# --- memory ----------------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


class MemorySampler:
    """Polls the resident memory of a process and its children and keeps the peak per process:
    VmHWM (the kernel's high-water mark) and VmRSS, and apart the anonymous part (RssAnon: heap,
    SQLite's page cache) and the file-backed part (RssFile: code, and the database file pages
    SQLite maps with mmap, which the kernel can drop and reread)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self.anon_peaks: dict[int, int] = {}
        self.file_peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        for pid in (self.pid, *_children(self.pid)):
            kb = max(_status_kb(pid, "VmHWM"), _status_kb(pid, "VmRSS"))
            if not kb:
                continue
            self.peaks[pid] = max(self.peaks.get(pid, 0), kb)
            for peaks, key in ((self.anon_peaks, "RssAnon"), (self.file_peaks, "RssFile")):
                peaks[pid] = max(peaks.get(pid, 0), _status_kb(pid, key))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def report(self) -> dict[str, Any]:
        self.sample()
        workers = {pid: kb for pid, kb in self.peaks.items() if pid != self.pid}
        master = self.peaks.get(self.pid, 0)

        def mb(kb: int) -> float:
            return round(kb / 1024, 1)

        return {
            "master_rss_mb": mb(master),
            "workers_rss_mb": [mb(kb) for kb in workers.values()],
            "max_rss_mb": mb(max([master, *workers.values()])),
            "max_anon_mb": mb(max(self.anon_peaks.values(), default=0)),
            "max_file_mb": mb(max(self.file_peaks.values(), default=0)),
            "method": "VmHWM/VmRSS (and RssAnon, RssFile) from /proc, polled every 0.5 s",
        }


# --- the production server -------------------------------------------------------------------


@dataclass
class Gunicorn:
    """gunicorn serving cyclecrm.config.wsgi with DEBUG off, on 127.0.0.1:`port`."""

    env: dict[str, str]
    port: int
    log: Path
    workers: int = GUNICORN_WORKERS
    threads: int = GUNICORN_THREADS
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "gunicorn", "cyclecrm.config.wsgi"),
            *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)),
            *("--threads", str(self.threads), "--timeout", "300", "--keep-alive", "30"),
        ]

    def settings(self) -> dict[str, Any]:
        return {
            "command": f"gunicorn --workers {self.workers} --threads {self.threads}",
            "workers": self.workers,
            "threads": self.threads,
            "debug": self.env.get("DEBUG"),
            "environment": self.env.get("CYCLECRM_ENV", "development"),
        }

    def start(self, timeout: float = 600) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        client = Client(self.base_url, {})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                status, _, _ = client.request("GET", "/accounts/login/")
                if status == 200:
                    return
            except OSError:
                pass
            finally:
                client.close()
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
