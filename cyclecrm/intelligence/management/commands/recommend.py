"""`cyclecrm recommend evaluate --transactions FILE.csv[.gz] ...`: the offline evaluation of the
cross-sell recommender with a time split on any transactions file (docs/intelligence/
recommendations.md). With `--json` the last line of stdout is one JSON object."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.intelligence.basket_csv import CsvProblem, CsvSpec, parse_prefix, read_transactions
from cyclecrm.intelligence.recommend import evaluate_time_split


class Command(BaseCommand):
    help = "Evaluate the cross-sell recommender on a transactions CSV file (time split)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        evaluate = commands.add_parser(
            "evaluate", help="Hit rate at K of the model and of the popularity baseline."
        )
        evaluate.add_argument("--transactions", required=True, type=Path, metavar="FILE.csv")
        evaluate.add_argument("--customer-column", required=True)
        evaluate.add_argument("--item-column", required=True)
        evaluate.add_argument("--date-column", required=True)
        evaluate.add_argument(
            "--basket-column", help="Order/invoice id; default: one basket per customer and day."
        )
        evaluate.add_argument("--cutoff", required=True, help="YYYY-MM-DD: train before it.")
        evaluate.add_argument("--k", default="5,10", help="Comma-separated K values.")
        evaluate.add_argument(
            "--require-column", action="append", default=[], metavar="COLUMN",
            help="Drop rows where COLUMN is empty (repeatable).",
        )  # fmt: skip
        evaluate.add_argument(
            "--min-quantity-column", metavar="COLUMN", help="Drop rows where COLUMN is not > 0."
        )
        evaluate.add_argument(
            "--exclude-prefix", action="append", default=[], metavar="COLUMN=PREFIX",
            help="Drop rows whose COLUMN starts with PREFIX (repeatable).",
        )  # fmt: skip
        evaluate.add_argument("--json", action="store_true", help="End with one JSON line.")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = _cutoff(options["cutoff"])
        ks = _ks(options["k"])
        try:
            spec = CsvSpec(
                customer=options["customer_column"],
                item=options["item_column"],
                date=options["date_column"],
                basket=options["basket_column"],
                required=tuple(options["require_column"]),
                positive=options["min_quantity_column"],
                excluded_prefixes=tuple(parse_prefix(text) for text in options["exclude_prefix"]),
            )
            transactions, counts = read_transactions(options["transactions"], spec)
        except CsvProblem as problem:
            raise CommandError(str(problem)) from problem
        result = {"cutoff": cutoff.isoformat(), **counts}
        result.update(evaluate_time_split(transactions, np.datetime64(cutoff), ks))
        if result["customers_evaluated"] == 0:
            raise CommandError(
                f"No customer bought both before and after {cutoff}: choose another --cutoff."
            )
        self._report(result, ks, as_json=options["json"])

    def _report(self, result: dict[str, Any], ks: list[int], *, as_json: bool) -> None:
        self.stdout.write(
            f"{result['customers_evaluated']} customers evaluated; trained on "
            f"{result['baskets']} baskets, {result['items']} items."
        )
        for k in ks:
            self.stdout.write(
                f"hit rate @{k}: model {result['hit_rate'][str(k)]:.3f}, "
                f"popularity {result['baseline_hit_rate'][str(k)]:.3f}"
            )
        if as_json:
            self.stdout.write(json.dumps(result))


def _cutoff(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--cutoff {text!r}: write a date as YYYY-MM-DD.") from error


def _ks(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as error:
        raise CommandError(f"--k {text!r}: write positive whole numbers, e.g. 5,10.") from error
    if not ks or ks[0] < 1:
        raise CommandError(f"--k {text!r}: write positive whole numbers, e.g. 5,10.")
    return ks
