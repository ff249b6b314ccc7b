"""Background jobs of e-mail campaigns, run by the Huey consumer."""

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cyclecrm.mailings.services.abtest import mailings_evaluate_ab_tests
from cyclecrm.mailings.services.scheduling import mailings_start_due
from cyclecrm.mailings.services.sending import mailing_send_batch, mailings_restart_stalled

BATCH_INTERVAL_SECONDS = 60


@db_task(retries=3, retry_delay=BATCH_INTERVAL_SECONDS, context=True)
def send_mailing(mailing_id: int, task: Any = None) -> int:
    """Send one batch (the mailing's rate per minute), then come back a minute later while
    recipients are pending. Returns how many were sent. The batch's lease is held under the
    task id, which the same job resumed after a killed worker keeps (ADR 0033)."""
    holder = task.id if task is not None else ""
    result = mailing_send_batch(mailing_id=mailing_id, holder=holder)
    if result.remaining and not result.locked:
        send_mailing.schedule((mailing_id,), delay=BATCH_INTERVAL_SECONDS)
    return result.sent


@db_periodic_task(crontab(minute="*"))
def start_scheduled_mailings() -> None:
    """Every minute: start the mailings whose scheduled time has come, and restart those whose
    worker died (their next batch was lost with it)."""
    mailings_start_due()
    mailings_restart_stalled()


@db_periodic_task(crontab(minute="*"))
def evaluate_ab_tests() -> None:
    """Every minute: A/B tests whose waiting period is over get their verdict; a declared
    winner goes to the held-back rest when the mailing sends winners automatically."""
    mailings_evaluate_ab_tests()
