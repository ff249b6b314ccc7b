"""Background jobs of the e-mail integration, run by the Huey consumer (`cyclecrm run_huey`)."""

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cyclecrm.integrations.services.inbound import mailboxes_poll_due
from cyclecrm.integrations.services.outbound import email_deliver

SEND_RETRIES = 3
SEND_RETRY_DELAY_SECONDS = 120


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes() -> None:
    """Every minute: fetch new mail from each active mailbox whose back-off has passed."""
    mailboxes_poll_due()


@db_task(retries=SEND_RETRIES, retry_delay=SEND_RETRY_DELAY_SECONDS, context=True)
def send_email(interaction_id: int, task: Any = None) -> str:
    """Send one queued e-mail. A failure stays `queued` (with the error) while retries remain,
    then becomes `failed`; run directly (`call_local`, no task) it is the last attempt."""
    final = task is None or task.retries == 0
    return email_deliver(interaction_id=interaction_id, final=final)
