"""`cyclecrm loyalty evaluate-tiers|expire-points|birthday-points`: run a daily loyalty job now
(each is idempotent, like the scheduled runs)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cyclecrm.loyalty.birthdays import birthday_points
from cyclecrm.loyalty.expiry import points_expire
from cyclecrm.loyalty.tier_job import tiers_evaluate


class Command(BaseCommand):
    help = "Run a loyalty job: evaluate-tiers, expire-points or birthday-points."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("evaluate-tiers", help="Re-evaluate every member's tier.")
        subcommands.add_parser("expire-points", help="Expire unspent points past their date.")
        subcommands.add_parser("birthday-points", help="Award today's birthday points.")

    def handle(self, *args: Any, **options: Any) -> None:
        job = options["subcommand"]
        if job == "evaluate-tiers":
            result = tiers_evaluate()
            self.stdout.write(f"{result['members']} members evaluated, {result['changed']} moved.")
        elif job == "expire-points":
            result = points_expire()
            self.stdout.write(f"{result['points']} points expired for {result['members']} members.")
        else:
            self.stdout.write(f"{birthday_points()} birthday awards posted.")
