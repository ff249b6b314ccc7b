"""Background jobs of this area (Huey tasks); `dataquality.tasks` imports them for discovery."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.dataquality.privacy.services import retention_run_due
from cyclecrm.identity.system import system_actor


@db_periodic_task(crontab(hour="3", minute="30"))
def retention_daily() -> int:
    """Every active retention policy, once a day; returns how many records were handled."""
    return sum(run.handled for run in retention_run_due(actor=system_actor()))
