"""`cyclecrm backup [--out FILE]`: the database and the data files in one archive
(cyclecrm/core/backup.py; docs/operations.md)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (consistent while the application runs) and the uploaded files "
        "into one .tar.gz archive; prints its path."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            help="Archive to write (default: DATA_DIR/backups/cyclecrm-<UTC time>.tar.gz).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup_create(out=options["out"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(path))
