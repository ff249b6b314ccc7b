"""The scale suite's figures and results file: percentiles, targets, merging, the table."""

import json
import os

import numpy as np
import pytest

from cyclecrm.core.benchsuite.load import run_load
from cyclecrm.core.benchsuite.report import failures, figure, markdown, merge
from cyclecrm.core.benchsuite.servers import MemorySampler
from cyclecrm.core.benchsuite.stats import summarise
from cyclecrm.core.benchsuite.targets import check

MACHINE = {"cpus": 2, "python": "3.11", "django": "5.2", "sqlite": "3.46"}


def test_summarise_gives_milliseconds_and_numpy_percentiles():
    latencies = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    result = summarise(latencies, errors=1, elapsed=2.0)
    assert result["requests"] == 100
    assert result["errors"] == 1
    assert result["p50_ms"] == pytest.approx(np.percentile(range(1, 101), 50))
    assert result["p99_ms"] == pytest.approx(np.percentile(range(1, 101), 99))
    assert result["mean_ms"] == pytest.approx(50.5)
    assert result["max_ms"] == 100.0
    assert result["rps"] == 50.0


def test_summarise_of_nothing_has_no_figures():
    assert summarise([], errors=3, elapsed=1.0) == {
        "requests": 0,
        "errors": 3,
        "p50_ms": None,
        "p99_ms": None,
    }


def test_latency_targets_and_the_deep_page_against_the_first():
    measurements = {
        "api_list_first_page": {"p99_ms": 15.0, "errors": 0},
        "api_list_deep_page": {"p99_ms": 16.0, "errors": 0},
        "api_search_substring": {"p99_ms": 29.0, "errors": 2},
        "dashboard_sales_cold": {"p99_ms": 999.0, "errors": 0},
        "api_create": {"p99_ms": None, "errors": 0},
    }
    for name, measurement in measurements.items():
        check(name, measurement, measurements)
    assert measurements["api_list_first_page"]["met"] is True
    assert measurements["api_list_first_page"]["target"] == "p99 ≤ 20 ms"
    assert measurements["api_list_deep_page"]["met"] is False  # slower than the first page
    assert measurements["api_search_substring"]["met"] is False  # errors never meet a target
    assert measurements["dashboard_sales_cold"]["met"] is True
    assert measurements["api_create"]["met"] is None


def test_merge_keeps_the_other_database_and_writes_the_table(tmp_path):
    out = tmp_path / "latest.json"
    sqlite = {"scale": 1000, "measurements": {"api_create": {"p50_ms": 5.0, "p99_ms": 40.0}}}
    merge(out, MACHINE, "sqlite", sqlite)
    postgresql = {
        "scale": 1000,
        "measurements": {
            "api_create": {"p50_ms": 4.0, "p99_ms": 9.0, "rps": 300.0, "errors": 0},
            "import_contacts_csv": {"rows_per_second": 25000.0, "met": True},
            "campaign_send": {"status": "not measured"},
        },
    }
    results = merge(out, {**MACHINE, "cpus": 4}, "postgresql", postgresql)

    assert set(results["databases"]) == {"sqlite", "postgresql"}
    written = json.loads(out.read_text())
    assert written["machine"]["cpus"] == 4
    assert written["databases"]["sqlite"]["measurements"]["api_create"]["met"] is False
    assert written["databases"]["postgresql"]["measurements"]["api_create"]["met"] is True
    table = out.with_suffix(".md").read_text()
    assert "| Measurement | Target | SQLite | met | PostgreSQL | met |" in table
    row = "| api_create | p99 ≤ 30 ms | 5.0 / 40.0 ms | **missed** | 4.0 / 9.0 ms (300/s) | met |"
    assert row in table
    assert "| import_contacts_csv |  |  |  | 25,000 rows/s | met |" in table
    assert "| campaign_send |  |  |  | not measured | - |" in table


def test_failures_name_measurements_with_errors():
    results = {
        "databases": {
            "sqlite": {"measurements": {"a": {"errors": 0}, "b": {"errors": 2}}},
            "postgresql": {"measurements": {"c": {"error": "boom"}}},
        }
    }
    assert failures(results) == ["sqlite: b", "postgresql: c"]
    assert failures(results, ["postgresql"]) == ["postgresql: c"]
    assert "failed: boom" in figure({"error": "boom"})
    assert "**2 errors**" in figure({"p50_ms": 1.0, "p99_ms": 2.0, "errors": 2})
    assert "## " not in markdown(results)


def test_run_load_counts_every_operation_and_reports_failures():
    seen: list[int] = []

    def operation(client, index):
        seen.append(index)
        if index % 10 == 0:
            raise ValueError(f"bad {index}")

    result = run_load("http://127.0.0.1:9", {}, operation, requests=30, warmup=5, concurrency=3)
    assert sorted(seen) == list(range(35))
    assert result["requests"] == 30
    assert result["errors"] == 3  # 10, 20 and 30 among the measured 5..34
    assert result["concurrency"] == 3
    assert result["error_samples"][0].startswith("ValueError: bad ")


def test_memory_sampler_splits_anonymous_and_file_backed_memory():
    held = bytearray(64 * 2**20)  # 64 MB of anonymous memory, touched
    held[::4096] = b"x" * len(held[::4096])
    sampler = MemorySampler(os.getpid())
    sampler.sample()
    report = sampler.report()
    assert report["max_anon_mb"] >= 64
    assert report["max_file_mb"] > 0
    assert report["max_rss_mb"] >= report["max_anon_mb"]
    assert "MB anonymous" in figure(report)
    del held


def test_job_measurements_show_their_own_targets_and_main_figures():
    imported = {
        "rows_per_second": 3168,
        "ratio_to_bare": 0.487,
        "seconds": 31.6,
        "target": {"rows_per_second": 20000, "ratio_to_bare": 0.25, "peak_rss_mb": 1024},
        "met": False,
    }
    results = {"databases": {"sqlite": {"measurements": {"import_contacts_csv": imported}}}}
    row = next(line for line in markdown(results).splitlines() if "import_contacts_csv" in line)
    assert "≥ 20,000 rows/s, ≥ 25% of bare insert, ≤ 1,024 MB" in row
    assert "3,168 rows/s, 49% of bare insert" in row
    assert "**missed**" in row
