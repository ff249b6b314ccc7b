"""Background jobs of the feedback app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.feedback.services.schedule import surveys_send_scheduled


@db_periodic_task(crontab(minute="17"))
def send_scheduled_surveys() -> None:
    """Hourly: send NPS surveys whose schedule is due to their target contacts."""
    surveys_send_scheduled()
