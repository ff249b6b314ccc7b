"""Automation pages: workflow rules (list, editor with the segment rule builder, run log) and
webhooks (list, editor, delivery log with resend, test event, secret rotation)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.automation import selectors, services
from cyclecrm.automation.actions import action_types
from cyclecrm.automation.forms import WebhookForm, WorkflowForm
from cyclecrm.automation.models import WebhookSubscription, WorkflowRule
from cyclecrm.automation.records import AUTOMATED_TYPES, condition_catalog
from cyclecrm.automation.services.webhooks import webhook_rotate_secret
from cyclecrm.core.errors import Conflict, CrmError, Forbidden
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view

LOG_PAGE = 50
LOG_ORDERINGS = orderings_with_reverse({"id": ("id",)})


def _log_page(request: HttpRequest, queryset: Any) -> Any:
    return paginate(
        queryset,
        orderings=LOG_ORDERINGS,
        ordering=None,
        default_ordering="-id",
        limit=LOG_PAGE,
        cursor=request.GET.get("cursor") or None,
    )


def _add_errors(form: forms.Form, exc: CrmError, *, json_field: str | None = None) -> None:
    """Service errors onto the form: paths inside JSON (`conditions.all[0].field`,
    `actions[1].params.tag`) are shown with their path at the top of the form."""
    for name, reasons in exc.fields.items():
        for reason in reasons:
            if name in form.fields:
                form.add_error(name, reason)
            elif json_field and name.startswith("conditions"):
                form.add_error(json_field, f"{name}: {reason}")
            else:
                form.add_error(None, f"{name}: {reason}")
    if not exc.fields:
        form.add_error(None, exc.message)


# -- workflow rules ------------------------------------------------------------------------------


@crm_view
def workflow_list(request: HttpRequest) -> HttpResponse:
    rules = selectors.workflow_list(actor=request.user).order_by("name", "id")
    can_create = access.level(request.user, WorkflowRule.record_type, Action.CREATE) != Level.NONE
    return render(
        request, "automation/workflow_list.html", {"rules": rules, "can_create": can_create}
    )


@crm_view
def workflow_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.workflow_get(actor=request.user, pk=pk)
    context = {
        "rule": rule,
        "page": _log_page(request, selectors.run_list(rule=rule)),
        "can_edit": access.can(request.user, Action.EDIT, rule),
    }
    return render(request, "automation/workflow_detail.html", context)


@crm_view
def workflow_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    rule = selectors.workflow_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if rule is None and access.level(actor, "workflow", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create workflow rules.")
    record_type = rule.record_type_key if rule else request.GET.get("record_type", "contact")
    if record_type not in AUTOMATED_TYPES:
        record_type = "contact"
    initial = (
        WorkflowForm.initial_for(rule)
        if rule
        else {"record_type": record_type, "rules": '{"all": []}', "active": True}
    )
    form = WorkflowForm(request.POST or None, initial=initial, editing=rule is not None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data(editing=rule is not None)
        try:
            if rule is None:
                rule = services.workflow_create(actor=actor, data=data)
            else:
                rule = services.workflow_update(actor=actor, rule=rule, data=data)
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            _add_errors(form, exc, json_field="rules")
        else:
            messages.success(request, "Workflow rule saved.")
            return redirect("workflow_detail", pk=rule.pk)
    context = {
        "form": form,
        "rule": rule,
        "title": str(rule) if rule else "New workflow rule",
        "record_type": record_type,
        "record_types": AUTOMATED_TYPES,
        "fields": [spec.as_dict() for spec in condition_catalog(record_type)],
        "action_types": _action_help(),
    }
    return render(request, "automation/workflow_form.html", context)


def _action_help() -> list[dict[str, Any]]:
    return [
        {"name": item.name, "label": item.label, "params": item.schema} for item in action_types()
    ]


# -- webhooks ------------------------------------------------------------------------------------


@crm_view
def webhook_list(request: HttpRequest) -> HttpResponse:
    hooks = selectors.webhook_list(actor=request.user).order_by("url", "id")
    can_create = (
        access.level(request.user, WebhookSubscription.record_type, Action.CREATE) != Level.NONE
    )
    return render(
        request, "automation/webhook_list.html", {"hooks": hooks, "can_create": can_create}
    )


@crm_view
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hook = selectors.webhook_get(actor=request.user, pk=pk)
    context = {
        "hook": hook,
        "page": _log_page(request, selectors.delivery_list(subscription=hook)),
        "can_edit": access.can(request.user, Action.EDIT, hook),
    }
    return render(request, "automation/webhook_detail.html", context)


@crm_view
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    hook = selectors.webhook_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if hook is None and access.level(actor, "webhook", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create webhooks.")
    initial = (
        {
            "url": hook.url,
            "description": hook.description,
            "events": " ".join(hook.events),
            "active": hook.active,
        }
        if hook
        else {"active": True}
    )
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if hook is None:
                hook = services.webhook_create(actor=actor, data=form.service_data())
                return render(
                    request, "automation/webhook_secret.html", {"hook": hook, "secret": hook.secret}
                )
            hook = services.webhook_update(actor=actor, subscription=hook, data=form.service_data())
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            _add_errors(form, exc)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("webhook_detail", pk=hook.pk)
    title = hook.url if hook else "New webhook"
    return render(
        request, "automation/webhook_form.html", {"form": form, "hook": hook, "title": title}
    )


@crm_view
@require_POST
def webhook_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The buttons of the delivery log: send a test event, resend a delivery, rotate the secret."""
    actor = request.user
    hook = selectors.webhook_get(actor=actor, pk=pk, action=Action.EDIT)
    action = request.POST.get("action")
    if action == "rotate":
        secret = webhook_rotate_secret(actor=actor, subscription=hook)
        return render(request, "automation/webhook_secret.html", {"hook": hook, "secret": secret})
    if action == "test":
        services.webhook_send_test(actor=actor, subscription=hook)
        messages.success(request, "Test event queued.")
    elif action == "resend":
        delivery = selectors.delivery_get(subscription=hook, pk=request.POST.get("delivery"))
        try:
            services.delivery_resend(actor=actor, delivery=delivery)
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Delivery queued again.")
    return redirect("webhook_detail", pk=hook.pk)
