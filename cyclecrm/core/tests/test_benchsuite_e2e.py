"""The scale suite end to end at a small scale: data set, production server, every HTTP
measurement, results file and table. SQLite always; PostgreSQL too when the tests run on it
(the suite then creates its own database on that server, `<name>_bench`).

`make bench-smoke` runs this module at BENCH_SMOKE_SCALE=10000 contacts (issue 10's CI smoke
test); `make test` leaves it out (marker `bench`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cyclecrm.core.benchsuite.measure import DASHBOARD_SLUGS
from cyclecrm.core.benchsuite.servers import pg_execute, pg_settings
from cyclecrm.core.benchsuite.targets import goal_for

HTTP_MEASUREMENTS = [
    "api_list_first_page",
    "api_list_deep_page",
    "api_search_name_prefix",
    "api_search_email_prefix",
    "api_search_substring",
    "api_detail_with_timeline",
    "api_create",
    "api_update",
    "web_contact_list",
    *(f"dashboard_{slug}_{kind}" for slug in DASHBOARD_SLUGS for kind in ("cold", "warm")),
]
JOB_MEASUREMENTS = [
    "segment_count_4_rules",
    "import_contacts_csv",
    "duplicates_scan",
    "campaign_send",
]


URL = os.environ.get("DATABASE_URL", "")
SCALE = int(os.environ.get("BENCH_SMOKE_SCALE", "2000"))

pytestmark = pytest.mark.bench


def test_the_suite_on_sqlite_measures_every_figure_without_errors(tmp_path):
    run_and_check(tmp_path, "sqlite")


@pytest.mark.skipif(not URL.startswith("postgres"), reason="the tests run on SQLite")
def test_the_suite_on_postgresql_measures_every_figure_without_errors(tmp_path):
    run_and_check(tmp_path, "postgresql")


def run_and_check(tmp_path: Path, database: str) -> None:
    databases = [database]
    url = URL
    out = tmp_path / "results" / "latest.json"
    command = [
        *(sys.executable, "-m", "cyclecrm", "bench", "scale", "--scale", str(SCALE)),
        *("--databases", ",".join(databases), "--out", str(out), "--runs", "24"),
        *("--warmup", "2", "--cold-runs", "1", "--data-dir", str(tmp_path / "data")),
        *(("--database", url) if "postgresql" in databases else ()),
    ]
    env = {**os.environ, "CYCLECRM_DATA_DIR": str(tmp_path / "suite")}
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=2400
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    results = json.loads(out.read_text())
    assert results["machine"]["cpus"] >= 1
    table = out.with_suffix(".md").read_text()
    for database in databases:
        part = results["databases"][database]
        assert part["rows"]["contacts_contact"] >= SCALE
        assert part["server"]["workers"] == 2
        measured = part["measurements"]
        for name in HTTP_MEASUREMENTS:
            figures = measured[name]
            assert figures["errors"] == 0, (database, name, figures)
            assert figures["requests"] >= 1
            assert figures["p50_ms"] > 0 and figures["p99_ms"] >= figures["p50_ms"]
            if goal_for(name):  # a figure with a target says whether it met it
                assert figures["met"] in (True, False)
            assert f"| {name} |" in table
        assert measured["api_list_deep_page"]["depth_rows"] == part["rows"]["contacts_contact"] // 2
        for name in JOB_MEASUREMENTS:
            assert name in measured and f"| {name} |" in table
        assert 0 < measured["server_peak_rss"]["max_rss_mb"] < 4096
    if "postgresql" in databases:
        # The table records the server's own settings: the tuned ones when the suite started
        # the server, whatever the given server runs with otherwise (--database).
        recorded = results["databases"]["postgresql"]["postgresql_settings"]
        assert set(recorded) == set(pg_settings())
        assert recorded["jit"] == pg_execute(URL, "SHOW jit")[0][0]
