"""Background jobs of the advocacy app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cyclecrm.advocacy.advocates import advocate_scores_refresh
from cyclecrm.advocacy.review_requests import review_requests_send_due


@db_periodic_task(crontab(minute="*/15"))
def send_due_review_requests() -> None:
    """Every 15 minutes: send review requests whose delay has passed (idempotent)."""
    review_requests_send_due()


@db_task()
def refresh_advocate_scores() -> dict[str, int]:
    """Recompute every advocacy score (queued by the Refresh button and the API)."""
    return advocate_scores_refresh().as_dict()


@db_periodic_task(crontab(hour="3", minute="41"))
def refresh_advocate_scores_nightly() -> None:
    """Nightly: recompute advocacy scores (docs/advocacy-advocates.md, "Schedule")."""
    advocate_scores_refresh()
