"""Domain event subscribers: queue a rule run per matching active rule and a webhook delivery
per matching subscription. Nothing runs inline: the request that caused the event only pays
for two indexed queries (after its commit)."""

import logging
from typing import Any

from cyclecrm.core.events import ChainLink, Event, subscribe

logger = logging.getLogger(__name__)


def enqueue_run(
    rule_id: int,
    object_id: int,
    event: str,
    data: dict[str, Any],
    chain: tuple[ChainLink, ...],
) -> None:
    from cyclecrm.automation.tasks import run_rule

    run_rule(rule_id, object_id, event, data, [list(link) for link in chain])


def on_event(event: Event) -> None:
    """Never lets a failure here reach the request whose commit delivered the event."""
    try:
        _queue_work(event)
    except Exception:
        logger.exception("Automation could not queue work for %s", event.name)


def _queue_work(event: Event) -> None:
    from cyclecrm.automation.models import WorkflowRule
    from cyclecrm.automation.services.engine import trigger_matches
    from cyclecrm.automation.services.webhooks import deliveries_queue_for_event

    rules = WorkflowRule.objects.filter(
        event=event.name, active=True, record_type_key=event.record_type
    )
    for rule in rules:
        if trigger_matches(rule, event):
            enqueue_run(rule.pk, event.object_id, event.name, event.data, event.chain)
    deliveries_queue_for_event(event)


def connect() -> None:
    subscribe("*", on_event)
