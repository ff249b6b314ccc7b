"""Background jobs of the analytics app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.analytics.services.warming import WARM_MINUTES, warm_dashboards


@db_periodic_task(crontab(minute=f"*/{WARM_MINUTES}"))
def warm_recent_dashboards() -> None:
    """Every few minutes: recompute the panels of recently viewed dashboards that a data
    change invalidated, so their viewers find them cached (services/warming.py)."""
    warm_dashboards()
