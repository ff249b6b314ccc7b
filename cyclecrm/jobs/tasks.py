"""Background jobs of the jobs app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.jobs.services import jobs_prune


@db_periodic_task(crontab(hour="3", minute="41"))
def prune_job_records() -> None:
    """Nightly: delete job records past their retention (docs/deployment.md, "Worker")."""
    jobs_prune()
