"""Background jobs of automation, run by the Huey consumer (`cyclecrm run_huey`)."""

from typing import Any

from huey import crontab
from huey.api import Task
from huey.contrib.djhuey import db_periodic_task, db_task

from cyclecrm.automation.services.engine import rule_run, schedule_run_due
from cyclecrm.automation.services.webhooks import deliveries_retry_due, delivery_attempt


@db_task(context=True)
def run_rule(
    rule_id: int,
    object_id: int,
    event: str,
    data: dict[str, Any],
    chain: list[list[Any]],
    task: Task | None = None,
) -> None:
    """The task id keys the run (engine.rule_run): however often the job runs, it acts once."""
    rule_run(
        rule_id=rule_id,
        object_id=object_id,
        event=event,
        event_data=data,
        chain=tuple((int(a), str(b), int(c)) for a, b, c in chain),
        job_key=task.id if task is not None else "",
    )


@db_task()
def deliver_webhook(delivery_id: int) -> None:
    delivery_attempt(delivery_id=delivery_id)


@db_periodic_task(crontab(minute="*"))
def automation_tick() -> None:
    """Every minute: start due schedule rules and retry webhook deliveries whose time came."""
    schedule_run_due()
    deliveries_retry_due()
