"""The built-in workflow actions. Each goes through the owning app's service, acting as the
rule's actor, so rights, history and domain rules apply exactly as for a person."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from cyclecrm.automation.actions.registry import ActionContext, Params, register_action
from cyclecrm.automation.records import AUTOMATED_TYPES, settable_field
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity.models import User

EMAIL_TYPES = ("contact", "lead", "opportunity", "case")
TASK_LINKS = ("contact", "account", "lead", "opportunity", "case")
MAX_DUE_DAYS = 3650


def _update(context: ActionContext, data: dict[str, Any], tags: list[str] | None = None) -> None:
    item = AUTOMATED_TYPES[context.record_type]
    kwargs: dict[str, Any] = {item.update_kwarg: context.record}
    item.update(actor=context.actor, data=data, version=context.record.version, tags=tags, **kwargs)


# -- assign owner --------------------------------------------------------------------------------


def _check_assign(params: Params, record_type: str) -> dict[str, str]:
    given = [key for key in ("user", "assignment_rule") if params.get(key) is not None]
    if len(given) != 1:
        return {"user": "Give either user or assignment_rule."}
    if "user" in given and not User.objects.filter(pk=params["user"], is_active=True).exists():
        return {"user": "No active user with this id."}
    if "assignment_rule" in given:
        from cyclecrm.leads.models import AssignmentRule

        if not AssignmentRule.objects.filter(pk=params["assignment_rule"]).exists():
            return {"assignment_rule": "No assignment rule with this id."}
    return {}


def _round_robin(rule_id: int) -> User:
    """The next assignee of a lead assignment rule, in its round-robin order."""
    from cyclecrm.leads.models import AssignmentRule
    from cyclecrm.leads.services.assignment import next_assignee

    rule = AssignmentRule.objects.select_for_update().get(pk=rule_id)
    user = next_assignee(rule, list(rule.assignees.filter(is_active=True).order_by("id")))
    if user is None:
        raise ValidationFailed("The assignment rule has no active assignee.")
    rule.last_assignee = user
    rule.save(update_fields=["last_assignee"])
    return user


def assign_owner(context: ActionContext, params: Params) -> dict[str, Any]:
    with transaction.atomic():
        if params.get("assignment_rule") is not None:
            owner_id = _round_robin(params["assignment_rule"]).pk
        else:
            owner_id = params["user"]
        _update(context, {"owner_id": owner_id})
    return {"owner": owner_id}


# -- create task ---------------------------------------------------------------------------------


def _check_task(params: Params, record_type: str) -> dict[str, str]:
    errors = {}
    if not str(params.get("title") or "").strip():
        errors["title"] = "Enter a title."
    days = params.get("due_in_days")
    if days is not None and not 0 <= days <= MAX_DUE_DAYS:
        errors["due_in_days"] = f"Give 0 to {MAX_DUE_DAYS} days."
    if (
        params.get("assignee") is not None
        and not User.objects.filter(pk=params["assignee"], is_active=True).exists()
    ):
        errors["assignee"] = "No active user with this id."
    return errors


def create_task(context: ActionContext, params: Params) -> dict[str, Any]:
    from cyclecrm.activities.services import task_create

    data: dict[str, Any] = {
        "title": str(params["title"]).strip(),
        "description": str(params.get("description") or ""),
        "owner_id": params.get("assignee") or context.record.owner_id or context.actor.pk,
    }
    if params.get("due_in_days") is not None:
        data["due_at"] = timezone.now() + dt.timedelta(days=params["due_in_days"])
    if context.record_type in TASK_LINKS:
        data[f"{context.record_type}_id"] = context.record.pk
    task = task_create(actor=context.actor, data=data)
    return {"task": task.pk}


# -- send e-mail ---------------------------------------------------------------------------------


def _check_email(params: Params, record_type: str) -> dict[str, str]:
    from cyclecrm.integrations.models import EmailTemplate

    if not EmailTemplate.objects.filter(pk=params.get("template"), is_active=True).exists():
        return {"template": "No active e-mail template with this id."}
    return {}


def send_email(context: ActionContext, params: Params) -> dict[str, Any]:
    from cyclecrm.integrations.services.outbound import email_send

    data = {context.record_type: context.record.pk, "template": params["template"]}
    if params.get("to"):
        data["to"] = params["to"]
    interaction = email_send(actor=context.actor, data=data)
    return {"interaction": interaction.pk}


# -- update field, add tag -----------------------------------------------------------------------


def _check_update(params: Params, record_type: str) -> dict[str, str]:
    field = settable_field(record_type, str(params.get("field") or ""))
    if field is None:
        return {"field": f"No field a rule may set on a {record_type} with this name."}
    value = params.get("value")
    if value is None and not field.null:
        return {"value": "This field cannot be empty."}
    try:
        if value is not None:
            field.to_python(value)
            if field.choices and str(value) not in {str(v) for v, _ in field.flatchoices}:
                return {"value": f"Not one of the field's choices: {value}."}
    except DjangoValidationError as exc:
        return {"value": " ".join(exc.messages)}
    return {}


def update_field(context: ActionContext, params: Params) -> dict[str, Any]:
    field = settable_field(context.record_type, params["field"])
    assert field is not None  # checked when the rule was saved; re-checked by the service
    _update(context, {field.attname: params.get("value")})
    return {"field": field.attname, "value": params.get("value")}


def _check_tag(params: Params, record_type: str) -> dict[str, str]:
    tag = str(params.get("tag") or "").strip()
    if not tag or len(tag) > 64:
        return {"tag": "Give a tag of 1 to 64 characters."}
    return {}


def add_tag(context: ActionContext, params: Params) -> dict[str, Any]:
    tag = str(params["tag"]).strip()
    names = sorted(item.name for item in context.record.tags.all())
    if tag in names:
        return {"tag": tag, "changed": False}
    _update(context, {}, tags=[*names, tag])
    return {"tag": tag, "changed": True}


# -- call webhook --------------------------------------------------------------------------------


def _check_webhook(params: Params, record_type: str) -> dict[str, str]:
    from cyclecrm.automation.models import WebhookSubscription

    if not WebhookSubscription.objects.filter(pk=params.get("subscription")).exists():
        return {"subscription": "No webhook subscription with this id."}
    return {}


def call_webhook(context: ActionContext, params: Params) -> dict[str, Any]:
    from cyclecrm.automation.services.webhooks import delivery_queue_one

    delivery = delivery_queue_one(
        subscription_id=params["subscription"],
        event="workflow.webhook",
        record_type=context.record_type,
        object_id=context.record.pk,
        data={"rule": context.rule.pk, "trigger": context.event},
    )
    return {"delivery": delivery.pk}


def register_builtin_actions() -> None:
    register_action(
        "assign_owner",
        {"user": {"type": "int"}, "assignment_rule": {"type": "int"}},
        assign_owner,
        label="Assign owner",
        check=_check_assign,
    )
    register_action(
        "create_task",
        {
            "title": {"type": "text", "required": True},
            "description": {"type": "text"},
            "due_in_days": {"type": "int"},
            "assignee": {"type": "int"},
        },
        create_task,
        label="Create task",
        check=_check_task,
    )
    register_action(
        "send_email",
        {"template": {"type": "int", "required": True}, "to": {"type": "text"}},
        send_email,
        label="Send e-mail",
        check=_check_email,
        record_types=EMAIL_TYPES,
    )
    register_action(
        "update_field",
        {"field": {"type": "text", "required": True}, "value": {"type": "any"}},
        update_field,
        label="Update field",
        check=_check_update,
    )
    register_action(
        "add_tag", {"tag": {"type": "text", "required": True}}, add_tag, check=_check_tag
    )
    register_action(
        "call_webhook",
        {"subscription": {"type": "int", "required": True}},
        call_webhook,
        label="Call webhook",
        check=_check_webhook,
    )
