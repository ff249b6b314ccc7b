"""`cyclecrm bench scale`: per database, a data set at scale, a production server on it, the
HTTP measurements, then the job measurements (cyclecrm/core/benchsuite/jobs.py), and the
results merged into bench/results/latest.json and its markdown table.

Every step that touches the data runs in a child process with the target's environment
(`python -m cyclecrm ...`), so the suite's own process never opens the database under test.
"""

import contextlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cyclecrm.core.benchsuite.measure import Plan, http_measurements, login
from cyclecrm.core.benchsuite.report import merge
from cyclecrm.core.benchsuite.servers import (
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    Gunicorn,
    MemorySampler,
    Postgres,
    free_port,
    pg_execute,
    pg_settings,
    ram_bytes,
)
from cyclecrm.core.benchsuite.target import Target

Report = Callable[[str], None]
BENCH_DATABASE = "cyclecrm_bench"
TMP_ROOT = Path("bench/results/tmp")


@dataclass
class Options:
    scale: int = 1_000_000
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    database_url: str = ""
    out: Path = Path("bench/results/latest.json")
    data_dir: Path | None = None
    reuse: bool = False
    plan: Plan = field(default_factory=Plan)
    port: int = 18100  # the first port tried for gunicorn
    pg_port: int = 54410  # the first port tried for a PostgreSQL server of the suite's own
    workers: int = GUNICORN_WORKERS
    threads: int = GUNICORN_THREADS
    import_rows: int = 0  # 0: a tenth of the scale
    campaign_recipients: int = 0  # 0: a hundredth of the scale, at least 200


def run_suite(options: Options, report: Report) -> dict[str, Any]:
    """Measure each database in turn; returns the merged results."""
    machine = machine_info()
    results: dict[str, Any] = {}
    for database in options.databases:
        report(f"== {database}: {options.scale:,} contacts")
        with _root(options, database) as root:
            part = measure_database(database, options, root, report)
        results = merge(options.out, machine, database, part)
    return results


@contextlib.contextmanager
def _root(options: Options, database: str) -> Iterator[Path]:
    """The data directory of one database: kept under --data-dir, else thrown away."""
    if options.data_dir:
        root = options.data_dir.resolve()
        root.mkdir(parents=True, exist_ok=True)
        yield root
        return
    TMP_ROOT.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"scale-{database}-", dir=TMP_ROOT)).resolve()
    root.chmod(0o755)  # the PostgreSQL server user must reach root/pg
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def base_env(data_dir: Path) -> dict[str, str]:
    """Production-like children: DEBUG off; CYCLECRM_ENV left at its default, because
    production forces HTTPS redirects and secure cookies, which plain HTTP on loopback cannot
    carry (docs/adr/0026)."""
    env = {**os.environ, "CYCLECRM_DATA_DIR": str(data_dir), "DEBUG": "0"}
    env |= {"HUEY_IMMEDIATE": "0", "PYTHONUNBUFFERED": "1"}
    # The load comes from one token at hundreds of requests a second: the per-token budgets
    # (docs/security.md, ADR 0034) are raised out of the way; the counting itself still runs.
    env |= {"CYCLECRM_RATE_API_READ": "100000000/60", "CYCLECRM_RATE_API_WRITE": "100000000/60"}
    for name in ("DATABASE_URL", "CYCLECRM_ENV", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def measure_database(database: str, options: Options, root: Path, report: Report) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        if database == "sqlite":
            env, info = _sqlite(root / "sqlite", options.reuse)
        else:
            env, info = _postgresql(root, options, stack)
        part: dict[str, Any] = {"scale": options.scale, "reused": options.reuse, **info}
        report("  migrate")
        migrate = ["migrate", "--no-input", "-v", "0"]
        part["migrate_seconds"] = _timed(lambda: cyclecrm(env, migrate))
        if not options.reuse:
            report("  generate the data set")
            part["data_set"] = child(env, ["kpis-generate", "--contacts", str(options.scale)])
        part["rows"] = child(env, ["scale-counts"])
        prep = child(env, ["scale-prepare", "--samples", str(options.plan.samples)])
        server = Gunicorn(
            env, free_port(options.port), root / f"gunicorn-{database}.log",
            options.workers, options.threads,
        )  # fmt: skip
        server.start()
        stack.callback(server.stop)
        part["server"] = server.settings()
        target = Target(
            database=database,
            scale=options.scale,
            env=env,
            base_url=server.base_url,
            token=prep["token"],
            rep_token=prep["rep_token"],
            session_cookie=login(server.base_url, prep["admin"], prep["password"]),
            workdir=str(root),
        )
        clear_cache = stack.enter_context(_cache_clearer(env))
        assert server.process is not None
        with MemorySampler(server.process.pid) as sampler:
            measurements = http_measurements(target, prep, options.plan, clear_cache, report)
            measurements |= job_measurements(target, options, report)
            measurements["server_peak_rss"] = sampler.report()
        part["measurements"] = measurements
        part["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return part


def _sqlite(data_dir: Path, reuse: bool) -> tuple[dict[str, str], dict[str, Any]]:
    data_dir.mkdir(parents=True, exist_ok=True)
    if not reuse:
        for path in data_dir.glob("*.sqlite3*"):
            path.unlink()
        shutil.rmtree(data_dir / "cache", ignore_errors=True)
    return base_env(data_dir), {"version": f"SQLite {sqlite3.sqlite_version}"}


def _postgresql(
    root: Path, options: Options, stack: contextlib.ExitStack
) -> tuple[dict[str, str], dict[str, Any]]:
    """The database: the URL's as is with --reuse; else a fresh one (`_bench_name`) on the
    server named by --database, or on a server of the suite's own in root/pg."""
    info: dict[str, Any] = {}
    if options.database_url:
        server_url = options.database_url
        info["postgresql_server"] = "given (--database)"
    else:
        server = Postgres(root / "pg", free_port(options.pg_port))
        server.start()
        stack.callback(server.stop)
        server_url = server.url(BENCH_DATABASE)
        info["postgresql_server"] = f"started by the suite in {server.root}"
    name = _bench_name(server_url)
    url = server_url if options.reuse and options.database_url else _with_db(server_url, name)
    if not options.reuse:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        pg_execute(_with_db(server_url, "postgres"), drop, f'CREATE DATABASE "{name}"')
        if not options.data_dir and options.database_url:
            stack.callback(pg_execute, _with_db(server_url, "postgres"), drop)
    shown = ", ".join(f"'{name}'" for name in pg_settings())
    rows = pg_execute(url, f"SELECT name, setting, unit FROM pg_settings WHERE name IN ({shown})")
    info["postgresql_settings"] = {name: f"{value}{unit or ''}" for name, value, unit in rows}
    info["version"] = pg_execute(url, "SHOW server_version")[0][0]
    info["version"] = f"PostgreSQL {info['version']}"
    info["database"] = urlsplit(url).path.lstrip("/")
    app_dir = root / "pg-app"
    app_dir.mkdir(parents=True, exist_ok=True)
    return base_env(app_dir) | {"DATABASE_URL": url}, info


def _bench_name(url: str) -> str:
    """The database a fresh data set goes into: `<the URL's database>_bench` on a given server
    (several people may share it), `cyclecrm_bench` on the suite's own."""
    named = urlsplit(url).path.lstrip("/")
    return BENCH_DATABASE if named in ("", BENCH_DATABASE) else f"{named}_bench"


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def job_measurements(target: Target, options: Options, report: Report) -> dict[str, Any]:
    """The measurements that write (segment count, import, duplicates, campaign), from
    cyclecrm/core/benchsuite/jobs.py, after the read-only HTTP ones."""
    from cyclecrm.core.benchsuite import jobs

    rows = options.import_rows or max(100, options.scale // 10)
    recipients = options.campaign_recipients or max(200, options.scale // 100)
    runs = max(10, options.plan.requests // 4)
    calls: dict[str, Callable[[], dict[str, Any]]] = {
        "segment_count_4_rules": lambda: jobs.measure_segment_count(target, runs),
        "import_contacts_csv": lambda: jobs.measure_import(target, rows),
        "duplicates_scan": lambda: jobs.measure_duplicates(target),
        "campaign_send": lambda: jobs.measure_campaign(target, recipients),
    }
    results: dict[str, Any] = {}
    for name, measure in calls.items():
        report(f"  {name}")
        try:
            results[name] = measure()
        except Exception as exc:  # one failing job measurement must not lose the others
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results


@contextlib.contextmanager
def _cache_clearer(env: dict[str, str]) -> Iterator[Callable[[], None]]:
    """A child process that clears the target's cache on request (children.clear_cache_loop)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cyclecrm", "bench", "--child", "scale-cache"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None

    def clear() -> None:
        process.stdin.write("clear\n")
        process.stdin.flush()
        if process.stdout.readline().strip() != "ok":
            raise RuntimeError("the cache-clearing process failed")

    try:
        yield clear
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def cyclecrm(env: dict[str, str], arguments: list[str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "cyclecrm", *arguments],
        env=env, stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if completed.returncode:
        raise RuntimeError(f"cyclecrm {' '.join(arguments)} failed ({completed.returncode})")
    return completed.stdout


def child(env: dict[str, str], arguments: list[str]) -> dict[str, Any]:
    """A `cyclecrm bench --child ...` step; its report is the last line it prints."""
    output = cyclecrm(env, ["bench", "--child", *arguments])
    return json.loads(output.strip().splitlines()[-1])


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return round(time.perf_counter() - started, 2)


def machine_info() -> dict[str, Any]:
    import django
    import gunicorn

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(ram_bytes() / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "sqlite": sqlite3.sqlite_version,
        "commit": commit or "unknown",
    }
