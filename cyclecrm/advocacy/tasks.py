"""Background jobs of the advocacy app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.advocacy.review_requests import review_requests_send_due


@db_periodic_task(crontab(minute="*/15"))
def send_due_review_requests() -> None:
    """Every 15 minutes: send review requests whose delay has passed (idempotent)."""
    review_requests_send_due()
