"""`cyclecrm demo`: fill the database with a realistic demo data set for a local trial."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.core.demo import DemoOptions, demo_build, demo_is_needed
from cyclecrm.core.demo.directory import USERS

LOGIN_URL = "http://127.0.0.1:8000"
MAX_ROWS = 1_000_000


def done_summary(counts: dict[str, int]) -> str:
    """Every kind of record the steps created, in build order: `10 users, 200 accounts, ...`
    (kinds a step counted as 0 are left out)."""
    return ", ".join(f"{count} {kind}" for kind, count in counts.items() if count) or "nothing"


class Command(BaseCommand):
    help = (
        "Build demo data: teams, one user per built-in role, accounts and contacts. Every demo "
        "user gets the admin password (default 'admin'), which is meant for a local trial only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contacts", type=int, default=DemoOptions.contacts)
        parser.add_argument("--accounts", type=int, default=DemoOptions.accounts)
        parser.add_argument("--seed", type=int, default=DemoOptions.seed)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds contacts.",
        )
        parser.add_argument("--admin-password", default=DemoOptions.admin_password)

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("contacts", "accounts"):
            if not 0 <= options[name] <= MAX_ROWS:
                raise CommandError(f"--{name} must be between 0 and {MAX_ROWS}.")
        password = options["admin_password"]
        if options["if_empty"] and not demo_is_needed():
            self.stderr.write("The database already holds contacts: no demo data added.")
        else:
            self._build(options)
        self.stdout.write(self.style.SUCCESS(f"Log in at {LOGIN_URL} as admin / {password}"))

    def _build(self, options: dict[str, Any]) -> None:
        demo = DemoOptions(
            contacts=options["contacts"],
            accounts=options["accounts"],
            seed=options["seed"],
            admin_password=options["admin_password"],
        )
        started = time.monotonic()
        self.stderr.write(f"Building demo data (seed {demo.seed})…")
        context = demo_build(demo, log=self.stderr.write)
        elapsed = time.monotonic() - started
        self.stderr.write(f"Done in {elapsed:.1f} s: {done_summary(context.counts)}.")
        others = ", ".join(username for username, _, _ in USERS if username != "admin")
        self.stdout.write(f"Other demo users, same password: {others}.")
