"""`cyclecrm duplicates find TYPE [--threshold X] --export PAIRS.csv` and
`cyclecrm duplicates scan TYPE`: duplicate pairs to a file, or the review queue refilled.

Both act as the user named by --as (default: the first active superuser) and see only the
records that user may read.
"""

import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.core.registry import record_type as get_record_type
from cyclecrm.dataquality.duplicates.matching import MATCHED_TYPES, find_pairs
from cyclecrm.dataquality.duplicates.scan import load_records, run_scan, scan_start


class Command(BaseCommand):
    help = "Find duplicate records: export the pairs (find) or fill the review queue (scan)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser("find", help="write one row per duplicate pair to a CSV file")
        scan = sub.add_parser("scan", help="scan a record type and refill its review queue")
        for command in (find, scan):
            command.add_argument("record_type", choices=MATCHED_TYPES)
            command.add_argument("--threshold", type=float, help="score from which a pair counts")
            command.add_argument("--as", dest="username", help="act as this user")
            command.add_argument("--json", action="store_true", help="a JSON summary on stdout")
        find.add_argument("--export", type=Path, required=True, help="the CSV file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = _actor(options["username"])
        threshold = options["threshold"]
        if threshold is not None and not 0 < threshold <= 1:
            raise CommandError("--threshold: a score between 0 (excluded) and 1")
        started = time.perf_counter()
        if options["action"] == "find":
            summary = self._find(actor, options["record_type"], threshold, options["export"])
        else:
            scan = scan_start(actor=actor, record_type=options["record_type"], threshold=threshold)
            scan = run_scan(scan.pk)
            summary = {
                "scan": scan.pk,
                "records": scan.records,
                "compared": scan.candidate_pairs,
                "pairs": scan.pairs,
                "clusters": scan.clusters,
            }
        summary["seconds"] = round(time.perf_counter() - started, 2)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(", ".join(f"{key}: {value}" for key, value in summary.items()))

    def _find(self, actor: Any, record_type: str, threshold: float | None, path: Path) -> dict:
        sys.stderr.write(f"Reading {record_type} records...\n")
        ids, records = load_records(record_type, actor)
        stats: dict[str, int] = {}
        pairs = list(find_pairs(ids, records, record_type, threshold_value=threshold, stats=stats))
        external = _external_ids(record_type, pairs)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["external_id_1", "external_id_2", "score"])
            for pair in sorted(pairs, key=lambda p: (-p.score, p.left_id, p.right_id)):
                left = external.get(pair.left_id) or str(pair.left_id)
                right = external.get(pair.right_id) or str(pair.right_id)
                writer.writerow([left, right, f"{pair.score:.4f}"])
        return {"records": len(ids), "compared": stats.get("compared", 0), "pairs": len(pairs)}


def _external_ids(record_type: str, pairs: list) -> dict[int, str]:
    """external_id per record in the pairs (the record id is written when it has none)."""
    model = get_record_type(record_type).model
    wanted = sorted({pair.left_id for pair in pairs} | {pair.right_id for pair in pairs})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        rows = model._default_manager.filter(pk__in=wanted[start : start + 5000])
        found.update(rows.values_list("id", "external_id"))
    return found


def _actor(username: str | None) -> Any:
    users = get_user_model()._default_manager.filter(is_active=True)
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"--as: no active user named {username!r}")
        return user
    user = users.filter(is_superuser=True).order_by("id").first()
    if user is None:
        raise CommandError("--as: no admin exists; name a user")
    return user
