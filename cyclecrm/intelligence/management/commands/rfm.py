"""`cyclecrm rfm`: RFM scores of a transactions CSV; prints group counts and score cut points."""

import argparse
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand

from cyclecrm.intelligence import rfm
from cyclecrm.intelligence.cli import add_transaction_arguments, iso_date, json_line, read_days
from cyclecrm.intelligence.transactions import summarise
from cyclecrm.intelligence.vocab import RFM_GROUPS


class Command(BaseCommand):
    help = "RFM quintile scores and named groups of a transactions CSV."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_transaction_arguments(parser)
        parser.add_argument(
            "--as-of",
            type=iso_date,
            default=None,
            help="Score as of this day (default: the last purchase day in the file).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = read_days(options)
        as_of = pd.Timestamp(options["as_of"]) if options["as_of"] else days["date"].max()
        history = summarise(days, calibration_end=as_of.date(), period_days=1)
        frame = pd.DataFrame(
            {
                "recency_days": (as_of - history["last"]).dt.days,
                "purchase_days": history["purchase_days"],
                "revenue": history["revenue"],
            }
        )
        scored = rfm.score(frame["recency_days"], frame["purchase_days"], frame["revenue"])
        result = {**rfm.summary(frame, scored), "as_of": as_of.date().isoformat()}
        if not options["json"]:
            for group, count in result["groups"].items():
                self.stdout.write(f"{RFM_GROUPS[group]:>20}: {count}")
        self.stdout.write(json_line(result))
