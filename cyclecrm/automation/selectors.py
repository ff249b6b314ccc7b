"""Reads for automation, each starting from the one visibility gate: runs and deliveries are
visible exactly when their rule or subscription is."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.automation.models import (
    WebhookDelivery,
    WebhookSubscription,
    WorkflowRule,
    WorkflowRun,
)
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User


def workflow_list(*, actor: User, action: str = Action.READ) -> QuerySet[WorkflowRule]:
    return access.restrict(WorkflowRule.objects.all(), actor, action).select_related("owner")


def workflow_get(*, actor: User, pk: Any, action: str = Action.READ) -> WorkflowRule:
    rule = None
    if str(pk).isdigit():
        rule = workflow_list(actor=actor, action=action).filter(pk=pk).first()
    if rule is None:
        raise NotFound("No workflow rule with this id.")
    return rule


def run_list(*, rule: WorkflowRule) -> QuerySet[WorkflowRun]:
    """The runs of a rule the caller got through `workflow_get`."""
    return WorkflowRun.objects.filter(rule=rule)


def webhook_list(*, actor: User, action: str = Action.READ) -> QuerySet[WebhookSubscription]:
    return access.restrict(WebhookSubscription.objects.all(), actor, action).select_related("owner")


def webhook_get(*, actor: User, pk: Any, action: str = Action.READ) -> WebhookSubscription:
    subscription = None
    if str(pk).isdigit():
        subscription = webhook_list(actor=actor, action=action).filter(pk=pk).first()
    if subscription is None:
        raise NotFound("No webhook subscription with this id.")
    return subscription


def delivery_list(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The deliveries of a subscription the caller got through `webhook_get`."""
    return WebhookDelivery.objects.filter(subscription=subscription).select_related("subscription")


def delivery_get(*, subscription: WebhookSubscription, pk: Any) -> WebhookDelivery:
    delivery = None
    if str(pk).isdigit():
        delivery = delivery_list(subscription=subscription).filter(pk=pk).first()
    if delivery is None:
        raise NotFound("No delivery with this id.")
    return delivery
