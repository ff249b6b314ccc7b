"""Background jobs of this area (Huey tasks); `dataquality.tasks` imports them for discovery."""

from huey.contrib.djhuey import db_task

from cyclecrm.dataquality.imports.services import import_run


@db_task()
def import_run_task(job_id: int) -> None:
    """Run (or resume) an import; progress is in the ImportJob row, polled by the page."""
    import_run(job_id)
