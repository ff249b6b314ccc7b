"""`cyclecrm clv fit`: fit BG/NBD and Gamma-Gamma on any transactions CSV and print the
parameters; with `--holdout-end`, also predicted vs actual purchases after the calibration."""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cyclecrm.intelligence import clv
from cyclecrm.intelligence.cli import add_transaction_arguments, iso_date, json_line, read_days
from cyclecrm.intelligence.transactions import summarise


class Command(BaseCommand):
    help = "Lifetime-value models (BG/NBD + Gamma-Gamma) on a transactions CSV."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        fit = actions.add_parser("fit", help="Fit the models and print their parameters.")
        add_transaction_arguments(fit)
        fit.add_argument("--calibration-end", type=iso_date, required=True)
        fit.add_argument("--period-days", type=float, default=7.0)
        fit.add_argument(
            "--holdout-end", type=iso_date, default=None, help="Check predictions up to this day."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = read_days(options)
        end, holdout_end = options["calibration_end"], options["holdout_end"]
        if holdout_end is not None and holdout_end <= end:
            raise CommandError("--holdout-end must be after --calibration-end.")
        summary = summarise(
            days, calibration_end=end, period_days=options["period_days"], holdout_end=holdout_end
        )
        repeat = int((summary["frequency"] > 0).sum())
        if repeat < 2:
            raise CommandError(
                f"{len(summary)} customers, {repeat} with a repeat purchase before "
                f"{end.isoformat()}: too few to fit."
            )
        models = clv.fit_models(
            summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
        )
        result: dict[str, Any] = {**models.parameters(), "period_days": options["period_days"]}
        if holdout_end is not None:
            periods = (holdout_end - end).days / options["period_days"]
            result["holdout"] = clv.holdout_metrics(
                models.bgnbd.params,
                summary["frequency"],
                summary["recency"],
                summary["T"],
                summary["holdout_purchases"],
                periods=periods,
            )
        if not options["json"]:
            for name in ("r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood"):
                self.stdout.write(f"{name:>16}: {result[name]:.4f}")
            self.stdout.write(f"{'customers':>16}: {result['customers']}")
        self.stdout.write(json_line(result))
