"""kill -9 in the middle of `cyclecrm import`, then the same command again: the stored data
equals a clean import of the same file (SQLite database files in tmp_path)."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 6_000
COLUMNS = "external_id,first_name,last_name,email,phone,country,birth_date,city,postal_code,tags"
CHECKED = (
    "external_id, first_name, last_name, email, phone, country, birth_date, city, "
    "postal_code, owner_id, version, custom"
)


def _write_file(path: Path) -> None:
    rnd = random.Random(7)
    lines = [COLUMNS]
    for number in range(ROWS):
        ext = f"X{rnd.randrange(ROWS * 9 // 10)}"  # about 10% repeat an earlier external id
        email = f"p{number}@example.com" if number % 50 else "broken@"
        lines.append(
            f"{ext},Name{number},Family{number % 977},{email},+1 202 555 {number % 10000:04d},"
            f"{rnd.choice(['US', 'Germany', 'fr'])},"
            f"{1950 + number % 50}-0{1 + number % 9}-1{number % 9},"
            f"City {number % 31},{number % 99999:05d},{'vip' if number % 7 == 0 else ''}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _database_copy(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    connection.ensure_connection()
    with sqlite3.connect(target) as out:
        connection.connection.backup(out)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CYCLECRM_DATA_DIR=str(data_dir), CYCLECRM_IMPORT_CHUNK_ROWS="100")
    return env


def _command(path: Path) -> list[str]:
    return [sys.executable, "-m", "cyclecrm", "import", "contact", str(path), "--json"]


def _rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(f"SELECT {CHECKED} FROM contacts_contact ORDER BY external_id").fetchall()


def _job(database: Path) -> tuple:
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute(
            "SELECT status, rows_done, created, skipped, rejected FROM dataquality_importjob"
        ).fetchone() or (None, 0, 0, 0, 0)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite files"
)
def test_killed_import_resumes_to_the_same_data_as_a_clean_import(admin, tmp_path):
    source = tmp_path / "people.csv"
    _write_file(source)
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    _database_copy(crashed / "cyclecrm.sqlite3")
    _database_copy(clean / "cyclecrm.sqlite3")

    process = subprocess.Popen(
        _command(source), env=_env(crashed), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while _job(crashed / "cyclecrm.sqlite3")[1] == 0 and time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it could be killed"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    status, done, *_ = _job(crashed / "cyclecrm.sqlite3")
    assert status == "running" and 0 < done < ROWS, "killed in the middle"

    resumed = subprocess.run(
        _command(source), env=_env(crashed), capture_output=True, text=True, check=True
    )
    fresh = subprocess.run(
        _command(source), env=_env(clean), capture_output=True, text=True, check=True
    )
    assert "Resuming import" in resumed.stderr
    resumed_counts = json.loads(resumed.stdout.strip().splitlines()[-1])
    fresh_counts = json.loads(fresh.stdout.strip().splitlines()[-1])
    for key in ("read", "created", "updated", "skipped", "rejected"):
        assert resumed_counts[key] == fresh_counts[key], key
    assert fresh_counts["rejected"] == ROWS // 50 and fresh_counts["skipped"] > 0
    assert _rows(crashed / "cyclecrm.sqlite3") == _rows(clean / "cyclecrm.sqlite3")
    with sqlite3.connect(crashed / "cyclecrm.sqlite3") as db:
        histories = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT object_id) FROM core_historyentry"
            " WHERE record_type = 'contact'"
        ).fetchone()
    assert histories == (fresh_counts["created"], fresh_counts["created"])
    rejected = Path(resumed_counts["rejected_file"]).read_text(encoding="utf-8").splitlines()
    assert len(rejected) == 1 + fresh_counts["rejected"]
