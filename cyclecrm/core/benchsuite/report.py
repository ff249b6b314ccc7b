"""The results file (bench/results/latest.json) and its markdown table (latest.md beside it).

The JSON holds the machine and, per database, the data set and every measurement. Writing
merges: a run on one database replaces that database's part and keeps the other's, so
SQLite and PostgreSQL can be measured at different times into one table.
"""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cyclecrm.core.benchsuite.targets import check, goal_for

DATABASES = ("sqlite", "postgresql")
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Figures shown for measurements that are not latencies (the job measurements), first found.
SHOWN = (
    ("rows_per_second", "{:,.0f} rows/s"),
    ("ratio_to_bare", "{:.0%} of bare insert"),
    ("emails_per_second", "{:,.1f} e-mails/s"),
    ("seconds", "{:,.1f} s"),
    ("max_rss_mb", "{:,.0f} MB"),
    ("max_anon_mb", "{:,.0f} MB anonymous"),
    ("peak_rss_mb", "{:,.0f} MB peak"),
)


def merge(path: Path, machine: dict[str, Any], database: str, part: dict[str, Any]) -> dict:
    """Write `part` as `database`'s results into the file at `path` (and its .md); returns
    the whole results."""
    results: dict[str, Any] = {}
    if path.exists():
        try:
            results = json.loads(path.read_text())
        except ValueError:
            results = {}
    measurements = part.get("measurements", {})
    for name, measurement in measurements.items():
        if isinstance(measurement, dict):
            check(name, measurement, measurements)
    results["suite"] = "scale"
    results["machine"] = machine
    results.setdefault("databases", {})[database] = part
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    path.with_suffix(".md").write_text(markdown(results))
    return results


def failures(results: dict[str, Any], databases: Iterable[str] = DATABASES) -> list[str]:
    """Measurements of `databases` that had errors or failed, "database: name" each."""
    found = []
    for database, part in results.get("databases", {}).items():
        if database not in databases:
            continue
        for name, measurement in part.get("measurements", {}).items():
            if not isinstance(measurement, dict):
                continue
            if measurement.get("errors") or measurement.get("error"):
                found.append(f"{database}: {name}")
    return found


def figure(measurement: dict[str, Any]) -> str:
    """One cell: "p50 / p99 ms (rps)" for latencies, else the measurement's main figure."""
    if not isinstance(measurement, dict):
        return str(measurement)
    if measurement.get("error"):
        return "failed: " + str(measurement["error"])[:60]
    if measurement.get("status") == "not measured":
        return "not measured"
    if measurement.get("p99_ms") is not None:
        text = f"{measurement['p50_ms']:,.1f} / {measurement['p99_ms']:,.1f} ms"
        if measurement.get("rps"):
            text += f" ({measurement['rps']:,.0f}/s)"
        if measurement.get("errors"):
            text += f" **{measurement['errors']} errors**"
        return text
    shown = [fmt.format(measurement[key]) for key, fmt in SHOWN if _number(measurement.get(key))]
    return ", ".join(shown[:2]) or "see JSON"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def mark(measurement: Any) -> str:
    met = measurement.get("met") if isinstance(measurement, dict) else None
    return {True: "met", False: "**missed**"}.get(met, "-")


def markdown(results: dict[str, Any]) -> str:
    parts = results.get("databases", {})
    present = [name for name in DATABASES if name in parts]
    machine = results.get("machine", {})
    lines = [
        "# Scale benchmark results",
        "",
        f"Machine: {machine.get('cpus')} CPUs ({machine.get('cpu_model', '?')}), "
        f"{machine.get('ram_gb', '?')} GB RAM, {machine.get('os', '?')}; "
        f"Python {machine.get('python')}, Django {machine.get('django')}, "
        f"SQLite {machine.get('sqlite')}; commit {machine.get('commit', '?')}.",
        "",
    ]
    for database in present:
        part = parts[database]
        lines.append(
            f"- {TITLES[database]}: {part.get('scale', 0):,} contacts, measured "
            f"{part.get('finished_at', '?')}, server {part.get('server', {}).get('command', '?')}"
            + (f", {part['version']}" if part.get("version") else "")
        )
    lines += ["", "Latencies are p50 / p99 over the measured requests (8 concurrent clients).", ""]
    header = ["Measurement", "Target"]
    for database in present:
        header += [TITLES[database], "met"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in _names(parts, present):
        row = [name, _target_text(name, parts, present)]
        for database in present:
            measurement = parts[database].get("measurements", {}).get(name)
            if measurement is None:
                row += ["", ""]
            else:
                row += [figure(measurement), mark(measurement)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


# How a job measurement's own `target` figures read in the table.
TARGET_TEXTS = {
    "p99_ms": "p99 ≤ {:,.0f} ms",
    "seconds": "≤ {:,.0f} s",
    "rows_per_second": "≥ {:,.0f} rows/s",
    "ratio_to_bare": "≥ {:.0%} of bare insert",
    "peak_rss_mb": "≤ {:,.0f} MB",
}


def _target_text(name: str, parts: dict[str, Any], present: list[str]) -> str:
    """The issue's goal for `name`, or the job measurement's own `target` figures."""
    goal = goal_for(name)
    if goal:
        return goal.text
    for database in present:
        target = parts[database].get("measurements", {}).get(name, {})
        target = target.get("target") if isinstance(target, dict) else None
        if isinstance(target, dict):
            texts = [TARGET_TEXTS[key].format(value) for key, value in target.items()
                     if key in TARGET_TEXTS and _number(value)]  # fmt: skip
            return ", ".join(texts)
    return ""


def _names(parts: dict[str, Any], present: list[str]) -> list[str]:
    names: list[str] = []
    for database in present:
        for name in parts[database].get("measurements", {}):
            if name not in names:
                names.append(name)
    return names
