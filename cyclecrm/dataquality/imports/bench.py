"""`cyclecrm bench import [--rows N]`: contacts import speed end to end (parse, validate,
normalize, match duplicates, insert) on a fresh SQLite database, beside a bare bulk insert of
the same rows into the same table, written to bench/results/import.json.

The import runs as `cyclecrm import` in a child process (its wall time and peak RSS are its
own). The bare insert is one `executemany` of the already-clean rows into contacts_contact in
one transaction, in another fresh copy of the database: the floor any importer pays.
"""

import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS_DIR = Path("bench/results")
FIRST = ["Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas"]
LAST = ["Müller", "Smith", "García", "Rossi", "Dubois", "Nowak", "Jensen", "Silva", "Kim", "Ng"]
COUNTRIES = ["US", "Germany", "FR", "United Kingdom", "es", "ITA", "Netherlands", "usa"]
AREAS = [201, 202, 206, 212, 213, 303, 305, 312, 404, 415, 512, 617, 646, 702, 718]
HEADER = "external_id,first_name,last_name,email,phone,city,postal_code,country,birth_date"


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Realistic rows: about 1% invalid (bad e-mail or date), about 2% repeating an earlier
    e-mail (duplicates, skipped), a few hundred cities, mixed country spellings."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for number in range(rows):
            email = f"{FIRST[number % 10].lower()}.{number}@example{number % 97}.com"
            if number % 50 == 0 and number:
                earlier = number - 7
                email = f"{FIRST[earlier % 10].lower()}.{earlier}@example{earlier % 97}.com"
            if number % 100 == 3:
                email = "not-an-email"
            day = 1 + number % 28 if number % 100 != 5 else 31
            phone = f"+1 {AREAS[number % 15]} 555 {number % 10000:04d}" if number % 3 else ""
            out.write(
                f"S{number},{FIRST[number % 10]},{LAST[rnd.randrange(10)]},{email},{phone},"
                f"City {number % 400},{10000 + number % 89999},{COUNTRIES[number % 8]},"
                f"{1940 + number % 60}-{1 + number % 12:02d}-{day:02d}\n"
            )


def _env(workdir: Path) -> dict[str, str]:
    env = {**os.environ, "CYCLECRM_DATA_DIR": str(workdir.resolve())}
    env.pop("DATABASE_URL", None)
    return env


def _cyclecrm(arguments: list[str], env: dict[str, str]) -> tuple[str, float, float, float]:
    """Run a command in a child; (stdout, wall seconds, peak RSS in MB, CPU seconds). CPU time
    is reported too because wall time on a shared machine depends on the other load."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "cyclecrm", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{arguments[0]} failed ({process.returncode})")
    return stdout, seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _bare_insert(database: Path, rows: int) -> tuple[float, float]:
    """Wall and CPU seconds to insert `rows` clean contact rows: one executemany, one commit."""
    now = "2026-01-01 00:00:00"
    with sqlite3.connect(database) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(contacts_contact)")]
        defaults = {
            "created_at": now, "updated_at": now, "version": 1, "custom": "{}",
            "other_emails": "[]", "interests": "[]", "values": "[]", "attributes": "{}",
            "engagement": "{}", "lifecycle_stage": "lead", "interactions_30d": 0,
            "interactions_90d": 0,
        }  # fmt: skip
        names = [name for name in columns if name != "id"]
        params = []
        for number in range(rows):
            values = {
                **defaults,
                "external_id": f"S{number}",
                "first_name": FIRST[number % 10],
                "last_name": LAST[number % 10],
                "email": f"x{number}@example.com",
                "phone": f"+1201555{number % 10000:04d}",
                "city": f"City {number % 400}",
                "postal_code": str(10000 + number % 89999),
                "country": "US",
                "birth_date": "1980-01-01",
            }
            params.append([values.get(name, _blank(name)) for name in names])
        marks = ", ".join("?" * len(names))
        quoted = ", ".join(f'"{name}"' for name in names)
        started, cpu = time.perf_counter(), time.process_time()
        db.executemany(f"INSERT INTO contacts_contact ({quoted}) VALUES ({marks})", params)
        db.commit()
        return time.perf_counter() - started, time.process_time() - cpu


def _blank(name: str) -> Any:
    if name.endswith("_id") or name.endswith("_at") or name == "birth_date":
        return None
    if name.startswith(("consent_", "do_not")):
        return 0
    return ""


def run_bench(rows: int, output: Path | None, write: Any) -> dict[str, Any]:
    RESULTS_DIR.joinpath("tmp").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="import-", dir=RESULTS_DIR / "tmp"))
    try:
        env = _env(workdir / "import")
        (workdir / "import").mkdir()
        _cyclecrm(["migrate", "--no-input", "-v", "0"], env)
        _cyclecrm(
            [
                "user",
                "create",
                "bench",
                "--role",
                "admin",
                "--superuser",
                "--password",
                "bench-pass-1",
            ],
            env,
        )
        shutil.copy(workdir / "import" / "cyclecrm.sqlite3", workdir / "bare.sqlite3")
        source = workdir / "contacts.csv"
        generate(source, rows)
        out, seconds, rss, cpu = _cyclecrm(["import", "contact", str(source), "--json"], env)
        counts = json.loads(out.strip().splitlines()[-1])
        bare, bare_cpu = _bare_insert(workdir / "bare.sqlite3", rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "scenario": "import",
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "database": "sqlite",
        },
        "rows": rows,
        "counts": {
            key: counts[key] for key in ("read", "created", "updated", "skipped", "rejected")
        },
        "import_seconds": round(seconds, 2),
        "import_rows_per_second": round(rows / seconds),
        "import_peak_rss_mb": round(rss),
        "import_cpu_seconds": round(cpu, 2),
        "import_rows_per_cpu_second": round(rows / cpu),
        "bare_insert_seconds": round(bare, 2),
        "bare_insert_rows_per_second": round(rows / bare),
        "bare_insert_cpu_seconds": round(bare_cpu, 2),
        "ratio_import_to_bare": round(seconds / bare, 1),
        "ratio_import_to_bare_cpu": round(cpu / max(bare_cpu, 1e-9), 1),
    }
    path = output or RESULTS_DIR / "import.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    write(json.dumps(result, indent=2))
    write(f"Results written to {path}")
    return result
