"""REST endpoints for workflow rules (CRUD, runs, dry run, action types) and webhook
subscriptions (CRUD, deliveries, resend, test event, secret rotation). Thin handlers over
automation.services and selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses, visible_record
from cyclecrm.automation import selectors, services
from cyclecrm.automation.actions import action_types
from cyclecrm.automation.schemas import (
    ActionTypeOut,
    DeliveryOut,
    DryRunOut,
    SecretOut,
    WebhookCreateIn,
    WebhookOut,
    WebhookPatchIn,
    WebhookSecretOut,
    WorkflowCreateIn,
    WorkflowOut,
    WorkflowPatchIn,
    WorkflowRunOut,
)
from cyclecrm.automation.services.webhooks import webhook_rotate_secret
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity.models import Action

workflows_router = Router(tags=["automation"])
webhooks_router = Router(tags=["automation"])

WorkflowPage = cursor_page(WorkflowOut)
RunPage = cursor_page(WorkflowRunOut)
WebhookPage = cursor_page(WebhookOut)
DeliveryPage = cursor_page(DeliveryOut)
RULE_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
HOOK_ORDERINGS = orderings_with_reverse({"id": ("id",), "url": ("url", "id")})
LOG_ORDERINGS = orderings_with_reverse({"id": ("id",)})
RuleOrdering = Literal[tuple(RULE_ORDERINGS)]
HookOrdering = Literal[tuple(HOOK_ORDERINGS)]
LogOrdering = Literal[tuple(LOG_ORDERINGS)]
DeliveryId = Path(..., ge=1, le=MAX_ID, description="The delivery's id.")


def log_page(queryset: Any, schema: Any, page: PageParams, ordering: str | None) -> dict:
    """A keyset page of log rows (runs, deliveries), newest first by default."""
    result = paginate(
        queryset,
        orderings=LOG_ORDERINGS,
        ordering=ordering,
        default_ordering="-id",
        limit=page.limit,
        cursor=page.cursor,
    )
    items = [
        {
            name: schema.computed[name](row) if name in schema.computed else getattr(row, name)
            for name in schema.model_fields
        }
        for row in result.items
    ]
    return {"items": items, "next_cursor": result.next_cursor}


# -- workflow rules ------------------------------------------------------------------------------


@workflows_router.get(
    "",
    response={200: WorkflowPage, **error_responses(422)},
    operation_id="list_workflows",
    summary="List workflow rules",
)
def list_workflows(
    request: HttpRequest, page: Query[PageParams], ordering: RuleOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.workflow_list(actor=request.auth),
        WorkflowOut,
        page=page,
        orderings=RULE_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@workflows_router.post(
    "",
    response={201: WorkflowOut, **error_responses(403, 422)},
    operation_id="create_workflow",
    summary="Create a workflow rule",
    description="Trigger, conditions and actions are validated; 422 names the bad path.",
)
def create_workflow(request: HttpRequest, payload: WorkflowCreateIn) -> Status:
    rule = services.workflow_create(actor=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, visible_record(request.auth, rule, WorkflowOut))


@workflows_router.get(
    "/action-types",
    response={200: list[ActionTypeOut], **error_responses()},
    operation_id="list_workflow_action_types",
    summary="The action types rules may use",
)
def list_workflow_action_types(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "name": item.name,
            "label": item.label,
            "params": item.schema,
            "record_types": list(item.record_types),
        }
        for item in action_types()
    ]


@workflows_router.get(
    "/{id}",
    response={200: WorkflowOut, **error_responses(404, 422)},
    operation_id="get_workflow",
    summary="Get one workflow rule",
)
def get_workflow(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    rule = selectors.workflow_get(actor=request.auth, pk=id)
    return visible_record(request.auth, rule, WorkflowOut)


@workflows_router.patch(
    "/{id}",
    response={200: WorkflowOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_workflow",
    summary="Update a workflow rule",
)
def update_workflow(request: HttpRequest, payload: WorkflowPatchIn, id: int = RecordId) -> dict:
    rule = selectors.workflow_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    rule = services.workflow_update(actor=request.auth, rule=rule, data=data, version=version)
    return visible_record(request.auth, rule, WorkflowOut)


@workflows_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_workflow",
    summary="Delete a workflow rule",
)
def delete_workflow(request: HttpRequest, id: int = RecordId) -> Status:
    rule = selectors.workflow_get(actor=request.auth, pk=id)
    services.workflow_delete(actor=request.auth, rule=rule)
    return Status(204, None)


@workflows_router.get(
    "/{id}/runs",
    response={200: RunPage, **error_responses(404, 422)},
    operation_id="list_workflow_runs",
    summary="The run log of a rule",
    description="Each run: record, trigger event, outcome, per-action results, duration.",
)
def list_workflow_runs(
    request: HttpRequest,
    page: Query[PageParams],
    ordering: LogOrdering | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    rule = selectors.workflow_get(actor=request.auth, pk=id)
    return log_page(selectors.run_list(rule=rule), WorkflowRunOut, page, ordering)


@workflows_router.post(
    "/{id}/test",
    response={200: DryRunOut, **error_responses(403, 404, 422)},
    operation_id="test_workflow",
    summary="Dry-run a rule on one record",
    description="Whether the conditions hold and which actions would run; nothing is written.",
)
def test_workflow(
    request: HttpRequest, record_id: int = Query(..., ge=1, le=MAX_ID), id: int = RecordId
) -> dict[str, Any]:
    rule = selectors.workflow_get(actor=request.auth, pk=id, action=Action.EDIT)
    return services.rule_dry_run(actor=request.auth, rule=rule, object_id=record_id)


add_record_routes(
    workflows_router,
    noun="workflow",
    get_record=lambda *, actor, pk: selectors.workflow_get(actor=actor, pk=pk),
)


# -- webhooks ------------------------------------------------------------------------------------


@webhooks_router.get(
    "",
    response={200: WebhookPage, **error_responses(422)},
    operation_id="list_webhooks",
    summary="List webhook subscriptions",
)
def list_webhooks(
    request: HttpRequest, page: Query[PageParams], ordering: HookOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.webhook_list(actor=request.auth),
        WebhookOut,
        page=page,
        orderings=HOOK_ORDERINGS,
        ordering=ordering,
        default_ordering="url",
    )


@webhooks_router.post(
    "",
    response={201: WebhookSecretOut, **error_responses(403, 422)},
    operation_id="create_webhook",
    summary="Subscribe a URL to events",
    description="The response holds the signing secret, shown only this once.",
)
def create_webhook(request: HttpRequest, payload: WebhookCreateIn) -> Status:
    hook = services.webhook_create(actor=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, visible_record(request.auth, hook, WebhookSecretOut))


@webhooks_router.get(
    "/{id}",
    response={200: WebhookOut, **error_responses(404, 422)},
    operation_id="get_webhook",
    summary="Get one webhook subscription",
)
def get_webhook(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    hook = selectors.webhook_get(actor=request.auth, pk=id)
    return visible_record(request.auth, hook, WebhookOut)


@webhooks_router.patch(
    "/{id}",
    response={200: WebhookOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_webhook",
    summary="Update a webhook subscription",
)
def update_webhook(request: HttpRequest, payload: WebhookPatchIn, id: int = RecordId) -> dict:
    hook = selectors.webhook_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    hook = services.webhook_update(
        actor=request.auth, subscription=hook, data=data, version=version
    )
    return visible_record(request.auth, hook, WebhookOut)


@webhooks_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_webhook",
    summary="Delete a webhook subscription",
)
def delete_webhook(request: HttpRequest, id: int = RecordId) -> Status:
    hook = selectors.webhook_get(actor=request.auth, pk=id)
    services.webhook_delete(actor=request.auth, subscription=hook)
    return Status(204, None)


@webhooks_router.post(
    "/{id}/rotate-secret",
    response={200: SecretOut, **error_responses(403, 404, 409, 422)},
    operation_id="rotate_webhook_secret",
    summary="Replace the signing secret",
    description="The new secret is shown only in this response; the old one stops at once.",
)
def rotate_webhook_secret(request: HttpRequest, id: int = RecordId) -> dict[str, str]:
    hook = selectors.webhook_get(actor=request.auth, pk=id, action=Action.EDIT)
    return {"secret": webhook_rotate_secret(actor=request.auth, subscription=hook)}


@webhooks_router.post(
    "/{id}/test",
    response={202: DeliveryOut, **error_responses(403, 404, 422)},
    operation_id="test_webhook",
    summary="Send a test event",
    description="Queues a `webhook.test` event; its delivery shows in the delivery log.",
)
def test_webhook(request: HttpRequest, id: int = RecordId) -> Status:
    hook = selectors.webhook_get(actor=request.auth, pk=id, action=Action.EDIT)
    delivery = services.webhook_send_test(actor=request.auth, subscription=hook)
    return Status(202, delivery)


@webhooks_router.get(
    "/{id}/deliveries",
    response={200: DeliveryPage, **error_responses(404, 422)},
    operation_id="list_webhook_deliveries",
    summary="The delivery log of a subscription",
)
def list_webhook_deliveries(
    request: HttpRequest,
    page: Query[PageParams],
    ordering: LogOrdering | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    hook = selectors.webhook_get(actor=request.auth, pk=id)
    return log_page(selectors.delivery_list(subscription=hook), DeliveryOut, page, ordering)


@webhooks_router.post(
    "/{id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **error_responses(403, 404, 409, 422)},
    operation_id="resend_webhook_delivery",
    summary="Deliver a payload again",
    description="A new delivery of the same payload and event id; 409 while still retrying.",
)
def resend_webhook_delivery(
    request: HttpRequest, id: int = RecordId, delivery_id: int = DeliveryId
) -> Status:
    hook = selectors.webhook_get(actor=request.auth, pk=id, action=Action.EDIT)
    delivery = selectors.delivery_get(subscription=hook, pk=delivery_id)
    return Status(202, services.delivery_resend(actor=request.auth, delivery=delivery))


add_record_routes(
    webhooks_router,
    noun="webhook",
    get_record=lambda *, actor, pk: selectors.webhook_get(actor=actor, pk=pk),
)
