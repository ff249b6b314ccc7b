"""`cyclecrm bench`: benchmarks that write their results to a file (`make bench`).

The default scenario, `scale` (issue 10), is the scale suite: a data set of `--scale` contacts
on SQLite and PostgreSQL, measured through a production HTTP server; its logic lives in
cyclecrm/core/benchsuite (docs/performance.md). The older scenarios follow.

Each scenario runs on a fresh throw-away database (SQLite under bench/results/tmp, or the
PostgreSQL server named by --database-url, never the DATABASE_URL of the environment), and
each step runs in a child process, so its wall time and peak memory (max RSS) are its own.
Scenarios so far: `intelligence` (issue 6: data generation, then every model's training run)
and `kpis` (issue 8: the 1M-contact data set, then every dashboard page rendered cold and warm);
`import` (issue 9, dataquality/imports/bench.py: contacts import rows/s beside a bare insert).
`--data-dir DIR` keeps the SQLite database (and cache) in DIR instead of a throw-away directory;
`--reuse` skips generation and measures the data already there (after `migrate`), so new code
can be measured on a kept data set without regenerating it.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

RESULTS_DIR = Path("bench/results")
SCENARIOS = ("scale", "intelligence", "kpis", "import", "duplicates")


class Command(BaseCommand):
    help = "Run a benchmark scenario on a throw-away database and write its results to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", nargs="?", default="scale", choices=SCENARIOS)
        self._scale_arguments(parser)
        parser.add_argument("--contacts", type=int, default=1_000_000)
        parser.add_argument("--orders", type=int, default=500_000)
        parser.add_argument("--leads", type=int, default=200_000)
        parser.add_argument("--output", type=Path, help="default: bench/results/<scenario>.json")
        parser.add_argument(
            "--database-url", default="", help="an EMPTY PostgreSQL database to use instead"
        )
        parser.add_argument("--child", default="", help="internal: run one step in this process")
        parser.add_argument("--kind", default="")
        parser.add_argument(
            "--data-dir", type=Path, help="keep the data (SQLite file, cache) in this directory"
        )
        parser.add_argument(
            "--reuse", action="store_true", help="kpis: measure the kept data, do not generate"
        )
        parser.add_argument(
            "--runs", type=int, help="kpis: renders per measurement (5); scale: requests (400)"
        )
        parser.add_argument("--rows", type=int, default=1_000_000, help="import: rows in the file")

    def _scale_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1_000_000, help="scale: contacts")
        parser.add_argument(
            "--database", default="", help="scale: a PostgreSQL server URL (default: start one)"
        )
        parser.add_argument("--out", type=Path, default=Path("bench/results/latest.json"))
        parser.add_argument("--databases", default="sqlite,postgresql")
        parser.add_argument("--warmup", type=int, default=40, help="scale: warm-up requests")
        parser.add_argument("--cold-runs", type=int, default=3, help="scale: cold dashboards")
        parser.add_argument("--duration", type=float, help="scale: at most, per measurement (s)")
        parser.add_argument("--port", type=int, default=18100, help="scale: first gunicorn port")
        parser.add_argument("--pg-port", type=int, default=54410, help="scale: first PG port")
        parser.add_argument("--threads", type=int, default=4, help="scale: gunicorn threads")
        parser.add_argument("--import-rows", type=int, default=0)
        parser.add_argument("--campaign-recipients", type=int, default=0)
        parser.add_argument("--samples", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["child"].startswith("scale-"):
            from cyclecrm.core.benchsuite import children

            children.emit(children.run(options["child"], options))
            return
        if options["child"]:
            self._child(options)
            return
        if options["scenario"] == "scale":
            self._scale(options)
            return
        if options["scenario"] == "duplicates":
            from cyclecrm.dataquality.duplicates.bench import write_results

            write_results(options["output"] or RESULTS_DIR / "duplicates.json")
            return
        if options["scenario"] == "import":
            from cyclecrm.dataquality.imports.bench import run_bench

            run_bench(options["rows"], options["output"], self.stdout.write)
            return
        self._parent(options)

    def _scale(self, options: dict[str, Any]) -> None:
        from cyclecrm.core.benchsuite.measure import Plan
        from cyclecrm.core.benchsuite.report import failures
        from cyclecrm.core.benchsuite.runner import Options, run_suite

        databases = tuple(name.strip() for name in options["databases"].split(",") if name)
        unknown = set(databases) - {"sqlite", "postgresql"}
        if unknown or not databases:
            raise CommandError("--databases: sqlite, postgresql or both (comma-separated).")
        plan = Plan(
            requests=options["runs"] or 400,
            warmup=options["warmup"],
            cold_runs=options["cold_runs"],
            duration=options["duration"],
        )
        suite = Options(
            scale=options["scale"],
            databases=databases,
            database_url=options["database"],
            out=options["out"],
            data_dir=options["data_dir"],
            reuse=options["reuse"],
            plan=plan,
            port=options["port"],
            pg_port=options["pg_port"],
            threads=options["threads"],
            import_rows=options["import_rows"],
            campaign_recipients=options["campaign_recipients"],
        )
        results = run_suite(suite, lambda note: self.stderr.write(note))
        self.stdout.write(options["out"].with_suffix(".md").read_text())
        self.stdout.write(f"Results written to {options['out']} and its .md")
        failed = failures(results, databases)
        if failed:
            raise CommandError("Measurements with errors: " + ", ".join(failed))

    # --- parent: orchestrates the steps in child processes -----------------------------------

    def _parent(self, options: dict[str, Any]) -> None:
        from cyclecrm.intelligence.tasks import NIGHTLY_ORDER

        scenario = options["scenario"]
        output = options["output"] or RESULTS_DIR / f"{scenario}.json"
        RESULTS_DIR.joinpath("tmp").mkdir(parents=True, exist_ok=True)
        kept = options["data_dir"]
        if kept:
            kept.mkdir(parents=True, exist_ok=True)
        workdir = kept or Path(tempfile.mkdtemp(prefix=f"{scenario}-", dir=RESULTS_DIR / "tmp"))
        env = {**os.environ, "CYCLECRM_DATA_DIR": str(workdir.resolve()), "HUEY_IMMEDIATE": "0"}
        env.pop("DATABASE_URL", None)
        if options["database_url"]:
            env["DATABASE_URL"] = options["database_url"]
        try:
            self._run(["migrate", "--no-input", "-v", "0"], env, capture=False)
            sizes = [
                *("--contacts", str(options["contacts"]), "--orders", str(options["orders"])),
                *("--leads", str(options["leads"])),
            ]
            steps = [self._step(["--child", "idle"], env)]
            if scenario == "kpis":
                if not options["reuse"]:
                    steps.append(self._step(["--child", "kpis-generate", *sizes], env))
                runs = ["--runs", str(options["runs"] or 5)]
                steps.append(self._step(["--child", "kpis-measure", *runs], env))
            else:
                steps.append(self._step(["--child", "generate", *sizes], env))
                for kind in NIGHTLY_ORDER:
                    steps.append(self._step(["--child", "train", "--kind", str(kind)], env))
        finally:
            if not kept:
                shutil.rmtree(workdir, ignore_errors=True)
        result = {
            "scenario": scenario,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "database": "postgresql" if options["database_url"] else "sqlite",
            },
            "sizes": {key: options[key] for key in ("contacts", "orders", "leads")},
            "steps": steps,
        }
        if scenario == "kpis":
            result["measurements"] = steps[-1].pop("measurements")
            result["sizes"] = {"reused": options["reuse"], **result["measurements"]["rows"]}
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n")
        for step in steps:
            self.stdout.write(
                f"{step['step']:<28} {step['seconds']:>9.1f} s {step['peak_rss_mb']:>8.0f} MB  "
                f"{step.get('status', '')} {step.get('scored', '')}"
            )
        for page in result.get("measurements", {}).get("pages", []):
            self.stdout.write(
                f"{page['dashboard']:<10} {page['user']:<9} {page['range']:<17} "
                f"cold {page['cold']['median']:>7.3f} s  warm {page['warm']['median']:>7.3f} s  "
                f"{page['queries_cold']:>4} queries"
            )
        self.stdout.write(f"Results written to {output}")

    def _step(self, arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
        output = self._run(["bench", *arguments], env, capture=True)
        return json.loads(output.strip().splitlines()[-1])

    def _run(self, arguments: list[str], env: dict[str, str], *, capture: bool) -> str:
        command = [sys.executable, "-m", "cyclecrm", *arguments]
        completed = subprocess.run(
            command, env=env, text=True, stdout=subprocess.PIPE if capture else None, check=False
        )
        if completed.returncode != 0:
            raise CommandError(
                f"{' '.join(arguments)} failed with exit code {completed.returncode}"
            )
        return completed.stdout or ""

    # --- child: one step, measured in its own process -----------------------------------------

    def _child(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        if options["child"] == "generate":
            from cyclecrm.intelligence.bench import generate

            report = {"step": "generate data"} | generate(
                contacts=options["contacts"],
                orders=options["orders"],
                leads=options["leads"],
                report=lambda note: self.stderr.write(note),
            )
        elif options["child"] == "kpis-generate":
            from cyclecrm.analytics.bench import generate as generate_kpis

            report = {"step": "generate data"} | generate_kpis(
                contacts=options["contacts"], report=lambda note: self.stderr.write(note)
            )
        elif options["child"] == "kpis-measure":
            from cyclecrm.analytics.bench_measure import measure

            report = {
                "step": "measure dashboards",
                "measurements": measure(
                    runs=options["runs"] or 5, report=lambda note: self.stderr.write(note)
                ),
            }
        elif options["child"] == "idle":
            # The baseline: a process that loaded Django and every app, and did nothing.
            report = {"step": "baseline (start-up only)"}
        elif options["child"] == "train":
            report = self._train(options["kind"])
        else:
            raise CommandError(f"Unknown step {options['child']}.")
        report["seconds"] = round(time.perf_counter() - started, 2)
        # ru_maxrss is in kilobytes on Linux.
        report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        self.stdout.write(json.dumps(report))

    def _train(self, kind: str) -> dict[str, Any]:
        from cyclecrm.intelligence.models import ModelRun
        from cyclecrm.intelligence.services import model_run_execute
        from cyclecrm.intelligence.trainers import trainer_for

        if trainer_for(kind) is None:
            return {"step": f"train {kind}", "status": "not installed"}
        run = ModelRun.objects.create(kind=kind)
        try:
            run = model_run_execute(run.pk)
        except Exception:  # the run row holds the error; the benchmark goes on
            run.refresh_from_db()
        return {
            "step": f"train {kind}",
            "status": run.status,
            "trained_on": run.trained_on,
            "evaluated_on": run.evaluated_on,
            "scored": run.scored,
            "message": run.message[:300],
        }
