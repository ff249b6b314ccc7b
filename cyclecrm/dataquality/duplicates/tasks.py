"""Background jobs of this area (Huey tasks); `dataquality.tasks` imports them for discovery."""

from huey.contrib.djhuey import db_task

from cyclecrm.dataquality.duplicates.scan import run_scan


@db_task()
def scan_duplicates(scan_id: int) -> None:
    """Scan a record type for duplicates and refill its review queue (see scan.py)."""
    run_scan(scan_id)
