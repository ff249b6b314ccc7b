"""Background job of nurture sequences, run by the Huey consumer (`cyclecrm run_huey`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.nurture.engine import run_due


@db_periodic_task(crontab(minute="*"))
def advance_sequences() -> int:
    """Every minute: run the due steps of active enrollments (see nurture/engine.py)."""
    return run_due()
