"""Background jobs of the e-mail integration, run by the Huey consumer (`cyclecrm worker`)."""

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.integrations.services.inbound import mailboxes_poll_due
from cyclecrm.integrations.services.outbound import email_deliver
from cyclecrm.jobs.backoff import Backoff, retrying_task

SEND_RETRIES = 3
# Waits of about 2, 4 and 8 minutes between the attempts.
SEND_BACKOFF = Backoff(base=120, cap=3600)


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes() -> None:
    """Every minute: fetch new mail from each active mailbox whose back-off has passed."""
    mailboxes_poll_due()


@retrying_task(retries=SEND_RETRIES, backoff=SEND_BACKOFF, context=True, resume=False)
def send_email(interaction_id: int, task: Any = None) -> str:
    """Send one queued e-mail. A failure stays `queued` (with the error) while retries remain,
    then becomes `failed`; run directly (`call_local`, no task) it is the last attempt.
    Idempotent: only a `queued` e-mail is sent, so a second run (a duplicate, a retry from the
    job page) of an e-mail already sent or given up on sends nothing. Not resumed after a
    killed worker (ADR 0033): the server may have taken the message before the kill and the
    e-mail still reads `queued`; its job is marked failed for a person to decide."""
    final = task is None or task.retries == 0
    return email_deliver(interaction_id=interaction_id, final=final)
