"""`cyclecrm import-vcard FILE [--valid-cards] [--as USERNAME] [--json]`: contacts from a .vcf
through the contact rules (rights, normalization, history)."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.core.errors import CrmError
from cyclecrm.dataquality.interchange.cli import acting_user
from cyclecrm.dataquality.interchange.services import decode_vcf, vcard_import


class Command(BaseCommand):
    help = "Import contacts from a vCard (.vcf) file; problems are reported by card number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--valid-cards", action="store_true", help="Store the valid cards even if some fail."
        )
        parser.add_argument("--as", dest="username", help="Act as this user (default: admin).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["username"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            result = vcard_import(
                actor=actor,
                text=decode_vcf(path.read_bytes()),
                all_or_nothing=not options["valid_cards"],
            )
        except CrmError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(asdict(result)))
        else:
            for problem in result.problems:
                field = f" {problem.field}:" if problem.field else ""
                self.stderr.write(f"card {problem.card}:{field} {problem.reason}")
            state = "stored" if result.stored else "NOT stored (problems; use --valid-cards)"
            self.stdout.write(
                f"{result.cards} cards: {len(result.created)} created, "
                f"{len(result.updated)} updated, {len(result.skipped)} skipped, "
                f"{len(result.problems)} problems; {state}."
            )
        if result.problems and not result.stored:
            raise SystemExit(1)
