"""`cyclecrm export --all OUT.zip [--as USERNAME] [--json]`: the full export, written in this
process (no worker needed) with the same layout as the admins' export page."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.core.errors import Forbidden
from cyclecrm.dataquality.interchange.cli import acting_user
from cyclecrm.dataquality.interchange.fullexport import write_full_export
from cyclecrm.dataquality.interchange.services import require_admin


class Command(BaseCommand):
    help = "Export all data: a zip with a CSV and a JSON Lines file per record type."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", dest="out", required=True, metavar="OUT.zip")
        parser.add_argument("--as", dest="username", help="Act as this user (an admin).")
        parser.add_argument("--json", action="store_true", help="Print the manifest as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["username"])
        try:
            require_admin(actor)
        except Forbidden as exc:
            raise CommandError(exc.message) from exc
        target = Path(options["out"]).resolve()
        if target.suffix != ".zip":
            raise CommandError("OUT must end in .zip.")

        def progress(key: str, done: int, total: int) -> None:
            sys.stderr.write(f"\r[{done}/{total}] {key:<30}")
            sys.stderr.flush()

        manifest = write_full_export(actor, target, progress)
        sys.stderr.write("\n")
        counts = {key: item["rows"] for key, item in manifest["types"].items()}
        if options["json"]:
            self.stdout.write(json.dumps({"file": str(target), "counts": counts}))
            return
        total = sum(counts.values())
        self.stdout.write(f"Wrote {total} rows of {len(counts)} record types to {target}.")
