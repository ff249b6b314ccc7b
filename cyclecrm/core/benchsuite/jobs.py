"""The suite's job measurements: contacts import, the duplicate scan, a campaign sent by a real
worker to a real SMTP sink, and the member count of a 4-rule segment through the HTTP API.

Every function takes a `Target` and returns a JSON-able dict for the results file. The runner
process never opens the target's database: the database-side steps (creating the segment and
the mailing, the bare insert, removing what a measurement added) run in child processes
(jobs_steps.py) with `target.env`, like the processes measured. What exactly each figure times
is described in docs/performance.md, "Job measurements".
"""

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from cyclecrm.core.benchsuite.sink import CountingSmtpSink
from cyclecrm.core.benchsuite.target import Target

IMPORT_TARGET_ROWS_PER_SECOND = 20_000
IMPORT_TARGET_RATIO = 0.25
DUPLICATES_TARGET_SECONDS = 300
DUPLICATES_TIME_LIMIT_SECONDS = 900
SEGMENT_TARGET_MS = 300
MEMORY_LIMIT_MB = 1024
WARM_UP = 3
ADMIN = "bench-admin-1"  # analytics/bench.py BENCH_ADMIN (not imported: it loads the models)
WORKER_START_SECONDS = 120
IDLE_SECONDS = 5
# One thread (a mailing's batches run one at a time anyway), no periodic jobs sharing it, and
# polling at most every 0.5 s so an idle worker's back-off does not delay the first batch.
WORKER_OPTIONS = ("--workers", "1", "--no-periodic", "--max-delay", "0.5")


# --- child processes ----------------------------------------------------------------------------


class ChildResult:
    """A finished (or stopped) child process: its output, wall and CPU time, peak RSS."""

    def __init__(self, stdout: str, seconds: float, usage: Any, status: int, timed_out: bool):
        self.stdout, self.seconds, self.timed_out = stdout, seconds, timed_out
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.peak_rss_mb = round(usage.ru_maxrss / 1024, 1)  # kilobytes on Linux
        self.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 2)

    def last_json(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.strip().splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"no JSON in the child's output: {self.stdout[-500:]!r}")
        return json.loads(lines[-1])


def run_child(
    target: Target, arguments: list[str], *, timeout: float | None = None, log: Path | None = None
) -> ChildResult:
    """Run `python ARGUMENTS` with the target's environment; reaped with os.wait4 so the peak
    RSS and CPU time are the child's own. At `timeout` seconds it is stopped (SIGTERM, then
    SIGKILL) and the result says `timed_out`."""
    workdir = _workdir(target)
    out_path = Path(tempfile.mkstemp(prefix="child-", suffix=".out", dir=workdir)[1])
    started = time.perf_counter()
    with out_path.open("w") as out, (log or Path(os.devnull)).open("a") as err:
        process = subprocess.Popen(
            [sys.executable, *arguments], env=target.env, stdout=out, stderr=err, text=True
        )
        status, usage, timed_out = _reap(process, timeout)
    seconds = time.perf_counter() - started
    stdout = out_path.read_text()
    out_path.unlink()
    return ChildResult(stdout, seconds, usage, status, timed_out)


def _reap(process: subprocess.Popen, timeout: float | None) -> tuple[int, Any, bool]:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, 0 if deadline is None else os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, usage, False
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    for _ in range(150):
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.2)
    else:
        process.kill()
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return status, usage, True


def cyclecrm(target: Target, arguments: list[str], **options: Any) -> ChildResult:
    return run_child(target, ["-m", "cyclecrm", *arguments], **options)


def step(target: Target, name: str, **arguments: Any) -> dict[str, Any]:
    """One database-side step of jobs_steps.py in a child; its JSON answer."""
    result = run_child(
        target,
        ["-m", "cyclecrm.core.benchsuite.jobs_steps", name, json.dumps(arguments, default=str)],
        log=_workdir(target) / "steps.log",
    )
    if result.exit_code:
        raise RuntimeError(f"step {name} failed ({result.exit_code}); see steps.log")
    return result.last_json()


def _workdir(target: Target) -> Path:
    path = Path(target.workdir or Path(tempfile.gettempdir()) / f"cyclecrm-bench-{os.getpid()}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and its peak (VmHWM) of a live process, in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                int(value.split()[0]) / 1024, 1
            )
    return found


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """Median and p99 (nearest rank) in milliseconds."""
    ordered = sorted(seconds)
    rank = max(0, min(len(ordered) - 1, -(-99 * len(ordered) // 100) - 1))
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[rank] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


# --- import -------------------------------------------------------------------------------------


def measure_import(target: Target, rows: int) -> dict[str, Any]:
    """`cyclecrm import contact FILE` end to end in a child against the loaded database, beside
    a bare executemany of the same rows into the same table; the imported rows are removed."""
    from cyclecrm.dataquality.imports.bench import generate

    source = _workdir(target) / f"contacts-{rows}.csv"
    generate(source, rows)
    bare = step(target, "bare-insert", csv=str(source))
    run = cyclecrm(
        target,
        ["import", "contact", str(source), "--json", "--as", _admin_name()],
        log=_workdir(target) / "import.log",
    )
    counts = run.last_json()
    cleanup = step(target, "import-cleanup", import_id=counts["import_id"])
    source.unlink()
    rate = rows / run.seconds
    bare_rate = rows / bare["seconds"]
    ratio = rate / bare_rate
    return {
        "rows": rows,
        "counts": {key: counts[key] for key in ("read", "created", "skipped", "rejected")},
        "status": counts["status"],
        "seconds": round(run.seconds, 2),
        "engine_seconds": round(cleanup["import_seconds"] or 0, 2),
        "cpu_seconds": run.cpu_seconds,
        "rows_per_second": round(rate),
        "engine_rows_per_second": round(rows / cleanup["import_seconds"])
        if cleanup["import_seconds"]
        else None,
        "peak_rss_mb": run.peak_rss_mb,
        "bare_insert": {
            "method": bare["method"],
            "seconds": round(bare["seconds"], 2),
            "cpu_seconds": round(bare["cpu_seconds"], 2),
            "rows_per_second": round(bare_rate),
        },
        "ratio_to_bare": round(ratio, 3),
        "ratio_to_bare_cpu": round(bare["cpu_seconds"] / run.cpu_seconds, 3),
        "removed_after": cleanup["removed_contacts"],
        "target": {
            "rows_per_second": IMPORT_TARGET_ROWS_PER_SECOND,
            "ratio_to_bare": IMPORT_TARGET_RATIO,
            "peak_rss_mb": MEMORY_LIMIT_MB,
        },
        "met": rate >= IMPORT_TARGET_ROWS_PER_SECOND
        and ratio >= IMPORT_TARGET_RATIO
        and run.peak_rss_mb <= MEMORY_LIMIT_MB,
    }


def _admin_name() -> str:
    return ADMIN


# --- duplicates ---------------------------------------------------------------------------------


def measure_duplicates(
    target: Target, time_limit: float = DUPLICATES_TIME_LIMIT_SECONDS
) -> dict[str, Any]:
    """`cyclecrm duplicates scan contact` (what the Huey task runs: load, block, compare,
    cluster, refill the review queue) in a child, stopped at `time_limit` seconds."""
    began = time.time()
    run = cyclecrm(
        target,
        ["duplicates", "scan", "contact", "--json", "--as", _admin_name()],
        timeout=time_limit,
        log=_workdir(target) / "duplicates.log",
    )
    if run.timed_out or run.exit_code:
        reached = step(target, "duplicates-last-scan", since=began)
        finished, summary = False, reached
    else:
        finished, summary = True, run.last_json()
    return {
        "finished": finished,
        "note": "" if finished else f"did not finish within {time_limit:g} s",
        "seconds": round(run.seconds, 2),
        "cpu_seconds": run.cpu_seconds,
        "records": summary.get("records"),
        "compared_pairs": summary.get("compared"),
        "pairs": summary.get("pairs"),
        "clusters": summary.get("clusters"),
        "peak_rss_mb": run.peak_rss_mb,
        "target": {"seconds": DUPLICATES_TARGET_SECONDS, "peak_rss_mb": MEMORY_LIMIT_MB},
        "met": finished
        and run.seconds <= DUPLICATES_TARGET_SECONDS
        and run.peak_rss_mb <= MEMORY_LIMIT_MB,
    }


# --- campaign -----------------------------------------------------------------------------------


def measure_campaign(target: Target, recipients: int) -> dict[str, Any]:
    """A mailing to `recipients` contacts rendered and handed to a local SMTP sink by a real
    worker process (`cyclecrm worker`, one thread, periodic jobs off) on the target's queue."""
    sink = CountingSmtpSink()
    sink.start()
    env = {**target.env, "EMAIL_HOST": sink.host, "EMAIL_PORT": str(sink.port)}
    env.pop("EMAIL_BACKEND", None)
    worker_log = _workdir(target) / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "cyclecrm", "worker", *WORKER_OPTIONS],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=worker_log.open("w"),
    )
    granted = _workdir(target) / "campaign-consent.json"
    started: dict[str, Any] = {}
    try:
        _wait_for_worker(worker, worker_log)
        time.sleep(IDLE_SECONDS)
        idle = proc_memory_mb(worker.pid)
        started = step(target, "campaign-start", recipients=recipients, granted_file=granted)
        delivered = sink.wait_for(started["pending"], timeout=120.0)
        time.sleep(1)  # the worker finishes the batch bookkeeping after the last message
        after = proc_memory_mb(worker.pid)
    finally:
        _stop(worker)
        sink.stop()
        cleanup = (
            step(
                target,
                "campaign-cleanup",
                mailing=started["mailing"],
                segment=started["segment"],
                granted_file=granted,
            )
            if started
            else {}
        )
    seconds = (sink.last_at or time.time()) - started["started_at"]
    return {
        "recipients": recipients,
        "audience": started["audience"],
        "suppressed": started["suppressed"],
        "delivered": delivered,
        # Suppressed recipients (bounced, unsubscribed) are not sent to: each of the others
        # gets exactly one message.
        "count_ok": delivered == started["pending"] and sink.messages == started["pending"],
        "recipient_states": cleanup.get("states", {}),
        "mailing_status": cleanup.get("status"),
        "seconds": round(seconds, 2),
        "snapshot_seconds": round(started["snapshot_seconds"], 2),
        "emails_per_second": round(delivered / seconds, 1) if seconds > 0 else None,
        "worker_idle_rss_mb": idle.get("rss_mb"),
        "worker_rss_after_mb": after.get("rss_mb"),
        "peak_rss_mb": after.get("peak_rss_mb"),
        "target": {"peak_rss_mb": MEMORY_LIMIT_MB},
        "met": (after.get("peak_rss_mb") or 0) <= MEMORY_LIMIT_MB,
    }


def _wait_for_worker(worker: subprocess.Popen, log: Path) -> None:
    """Until Huey says the consumer started (it logs after Django and every app loaded)."""
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited ({worker.returncode}); see {log}")
        if re.search(r"consumer started", log.read_text(errors="replace"), re.IGNORECASE):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not start in {WORKER_START_SECONDS} s; see {log}")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)  # Huey's graceful shutdown
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- segment count ------------------------------------------------------------------------------


def measure_segment_count(target: Target, runs: int) -> dict[str, Any]:
    """GET /api/v1/segments/{id}/count of a 4-rule segment, `runs` times after a warm-up."""
    created = step(target, "segment-create")
    url = f"{target.base_url.rstrip('/')}/api/v1/segments/{created['segment']}/count"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {target.token}"
    try:
        count = None
        for _ in range(WARM_UP):
            count = _get_count(session, url)
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            count = _get_count(session, url)
            times.append(time.perf_counter() - began)
    finally:
        step(target, "segment-delete", segment=created["segment"])
    figures = percentiles_ms(times)
    return {
        "rules": created["rules"],
        "members": count,
        "runs": runs,
        **figures,
        "target": {"p99_ms": SEGMENT_TARGET_MS},
        "met": figures["p99_ms"] <= SEGMENT_TARGET_MS,
    }


def _get_count(session: requests.Session, url: str) -> int:
    response = session.get(url, timeout=120)
    response.raise_for_status()
    return int(response.json()["count"])
