"""Background jobs of this area (Huey tasks); `dataquality.tasks` imports them for discovery."""

from huey.contrib.djhuey import db_task


@db_task()
def run_full_export(export_id: int) -> None:
    from cyclecrm.dataquality.interchange.services import full_export_execute

    full_export_execute(export_id)
