"""Writes of the automation app: rules and their runs, webhook subscriptions and deliveries."""

from cyclecrm.automation.services.engine import rule_dry_run, rule_run, schedule_run_due
from cyclecrm.automation.services.rules import (
    workflow_create,
    workflow_delete,
    workflow_update,
)
from cyclecrm.automation.services.webhooks import (
    delivery_attempt,
    delivery_resend,
    webhook_create,
    webhook_delete,
    webhook_send_test,
    webhook_update,
)

__all__ = [
    "delivery_attempt",
    "delivery_resend",
    "rule_dry_run",
    "rule_run",
    "schedule_run_due",
    "webhook_create",
    "webhook_delete",
    "webhook_send_test",
    "webhook_update",
    "workflow_create",
    "workflow_delete",
    "workflow_update",
]
