"""`cyclecrm restore FILE [--force]`: replace the database and the data files with a backup's
(cyclecrm/core/backup.py; docs/operations.md)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cyclecrm.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a `cyclecrm backup` archive: checks it, replaces the database and the uploaded "
        "files, then applies newer migrations. Stop the web and worker processes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, metavar="FILE")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_restore(
                archive=options["archive"], force=options["force"], log=self.stderr.write
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']} (Cycle CRM "
                f"{manifest['app_version']}); {len(result.migrated)} migration(s) applied."
            )
        )
