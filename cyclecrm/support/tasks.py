"""Background jobs of the support app, run by the Huey consumer (`cyclecrm worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.support.escalation import sla_breaches_mark


@db_periodic_task(crontab(minute="*"))
def check_case_slas() -> None:
    """Every minute: mark SLA breaches and escalate cases per their policy, once."""
    sla_breaches_mark()
