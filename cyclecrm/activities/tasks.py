"""Background jobs of the activities app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.activities.engagement import engagement_recompute_all
from cyclecrm.activities.reminders import task_reminders_send


@db_periodic_task(crontab(minute="*"))
def send_task_reminders() -> None:
    """Every minute: e-mail the assignee of each task whose reminder time has come, once."""
    task_reminders_send()


@db_periodic_task(crontab(hour="2", minute="17"))
def recompute_engagement() -> None:
    """Nightly: move the contacts' 30/90-day interaction counts along, since they age out
    without any write (see activities.engagement)."""
    engagement_recompute_all()
