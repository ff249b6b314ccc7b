"""`cyclecrm advocates refresh`: recompute every contact's advocacy score now."""

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand

from cyclecrm.advocacy.advocates import advocate_scores_refresh


class Command(BaseCommand):
    help = "Advocacy scores: `refresh` recomputes them (what the nightly job does)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = advocate_scores_refresh()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            f"{result.scored} advocates scored, {result.changed} changed, {result.removed} removed."
        )
