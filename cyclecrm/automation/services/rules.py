"""Workflow rule definitions through the shared write path (rights, history, version check).

Every part of a rule is validated when it is saved, so a run fails only on what changed since
(a deleted template, a right taken away): errors name the path (`actions[1].params.field`)."""

import re
from typing import Any

from cyclecrm.automation.actions import action_type
from cyclecrm.automation.models import Trigger, WorkflowRule
from cyclecrm.automation.records import AUTOMATED_TYPES, condition_fields, watchable
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.segments.rules import compile_rules

RULE_FIELDS = {
    "name",
    "description",
    "active",
    "record_type",
    "trigger",
    "trigger_config",
    "conditions",
    "actions",
    "owner_id",
    "team_id",
}
MAX_ACTIONS = 20
MAX_EVERY_HOURS = 24 * 7
HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
EMPTY_CONDITIONS: dict[str, list] = {"all": []}
PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "text": (str,),
    "list": (list,),
    "bool": (bool,),
}
TRIGGER_KEYS = {
    Trigger.CREATED: set(),
    Trigger.UPDATED: {"field", "value"},
    Trigger.STAGE_CHANGED: {"from_stage", "to_stage"},
    Trigger.FORM_SUBMITTED: {"form"},
    Trigger.CHURN_RISK_HIGH: set(),
    Trigger.ADVOCATE_REACHED: set(),
    Trigger.SCHEDULE: {"at", "every_hours"},
}


def event_for(trigger: str, record_type: str) -> str:
    """The domain event a trigger listens to ("" for schedules)."""
    return {
        Trigger.CREATED: f"{record_type}.created",
        Trigger.UPDATED: f"{record_type}.updated",
        Trigger.STAGE_CHANGED: "opportunity.stage_changed",
        Trigger.FORM_SUBMITTED: "form.submitted",
        Trigger.CHURN_RISK_HIGH: "contact.churn_risk_high",
        Trigger.ADVOCATE_REACHED: "contact.advocate_reached",
    }.get(trigger, "")


def _check_trigger(trigger: str, record_type: str, config: Any, errors: FieldErrors) -> None:
    if not isinstance(config, dict):
        errors.add("trigger_config", "Give an object.")
        return
    for key in sorted(set(config) - TRIGGER_KEYS[trigger]):
        errors.add(f"trigger_config.{key}", f"Not an option of the {trigger} trigger.")
    if trigger == Trigger.STAGE_CHANGED and record_type != "opportunity":
        errors.add("trigger", "Only opportunities change stage.")
    if trigger == Trigger.FORM_SUBMITTED and record_type != "lead":
        errors.add("trigger", "A form submission creates or updates a lead: use record type lead.")
    if trigger == Trigger.CHURN_RISK_HIGH and record_type != "contact":
        errors.add("trigger", "Churn risk is scored for contacts: use record type contact.")
    if trigger == Trigger.ADVOCATE_REACHED and record_type != "contact":
        errors.add("trigger", "Advocacy is scored for contacts: use record type contact.")
    watched = config.get("field")
    if trigger == Trigger.UPDATED and watched is not None and not watchable(record_type, watched):
        errors.add("trigger_config.field", f"Unknown field '{watched}'.")
    if trigger == Trigger.SCHEDULE:
        _check_schedule(config, errors)


def _check_schedule(config: dict[str, Any], errors: FieldErrors) -> None:
    at, every = config.get("at"), config.get("every_hours")
    if (at is None) == (every is None):
        errors.add("trigger_config", 'Give either "at" (HH:MM, UTC) or "every_hours".')
    elif at is not None and not (isinstance(at, str) and HH_MM.fullmatch(at)):
        errors.add("trigger_config.at", "Give a time as HH:MM (24 h, UTC).")
    elif every is not None and (
        not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= MAX_EVERY_HOURS
    ):
        errors.add("trigger_config.every_hours", f"Give whole hours from 1 to {MAX_EVERY_HOURS}.")


def _check_actions(actions: Any, record_type: str, errors: FieldErrors) -> None:
    if not isinstance(actions, list) or not actions:
        errors.add("actions", "Give a list of at least one action.")
        return
    if len(actions) > MAX_ACTIONS:
        errors.add("actions", f"At most {MAX_ACTIONS} actions.")
    for index, action in enumerate(actions):
        _check_action(action, record_type, f"actions[{index}]", errors)


def _check_action(action: Any, record_type: str, path: str, errors: FieldErrors) -> None:
    if not isinstance(action, dict) or set(action) - {"type", "params"}:
        errors.add(path, 'Give {"type": ..., "params": {...}}.')
        return
    kind = action_type(str(action.get("type")))
    if kind is None:
        errors.add(f"{path}.type", f"Unknown action type '{action.get('type')}'.")
        return
    if kind.record_types and record_type not in kind.record_types:
        errors.add(f"{path}.type", f"{kind.label} does not apply to a {record_type}.")
        return
    params = action.get("params", {})
    if not isinstance(params, dict):
        errors.add(f"{path}.params", "Give an object.")
        return
    problems = _param_problems(kind.schema, params)
    if not problems and kind.check is not None:
        problems = kind.check(params, record_type)
    for name, reason in problems.items():
        errors.add(f"{path}.params.{name}", reason)


def _param_problems(schema: dict[str, dict[str, Any]], params: dict[str, Any]) -> dict[str, str]:
    problems = {name: "Unknown parameter." for name in sorted(set(params) - set(schema))}
    for name, spec in schema.items():
        value = params.get(name)
        if value is None:
            if spec.get("required"):
                problems[name] = "This parameter is required."
            continue
        allowed = PARAM_TYPES.get(spec.get("type", "any"))
        wrong_bool = isinstance(value, bool) and allowed is not None and bool not in allowed
        if allowed and (not isinstance(value, allowed) or wrong_bool):
            problems[name] = f"Give a value of type {spec['type']}."
    return problems


def _check_conditions(actor: User, record_type: str, conditions: Any) -> None:
    hidden = access.access_for(actor).hidden_fields(record_type)
    compile_rules(
        conditions, prefix="conditions", hidden=hidden, fields=condition_fields(record_type)
    )


def _normalize(actor: User, data: dict[str, Any], current: WorkflowRule | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - RULE_FIELDS):
        errors.add(name, "Unknown field.")
    if "name" in data or current is None:
        data["name"] = " ".join(str(data.get("name") or "").split())
        if not data["name"]:
            errors.add("name", "This field is required.")
    record_type = data.pop("record_type", current.record_type_key if current else None)
    if record_type not in AUTOMATED_TYPES:
        errors.add("record_type", f"Use one of {', '.join(AUTOMATED_TYPES)}.")
    trigger = data.get("trigger", current.trigger if current else None)
    if trigger not in Trigger.values:
        errors.add("trigger", f"Use one of {', '.join(Trigger.values)}.")
    errors.raise_if_any()
    config = data.get("trigger_config", current.trigger_config if current else {})
    actions = data.get("actions", current.actions if current else None)
    _check_trigger(trigger, record_type, config if config is not None else {}, errors)
    _check_actions(actions, record_type, errors)
    errors.raise_if_any()
    conditions = data.get("conditions", current.conditions if current else None)
    data["conditions"] = conditions or dict(EMPTY_CONDITIONS)
    _check_conditions(actor, record_type, data["conditions"])
    data["record_type_key"] = record_type
    data["trigger_config"] = config or {}
    data["event"] = event_for(trigger, record_type)
    return data


def workflow_create(*, actor: User, data: dict[str, Any]) -> WorkflowRule:
    """Create a rule; trigger, conditions and actions are validated (422 naming the path)."""
    return record_create(actor=actor, model=WorkflowRule, data=_normalize(actor, data, None))


def workflow_update(
    *, actor: User, rule: WorkflowRule, data: dict[str, Any], version: int | None = None
) -> WorkflowRule:
    return record_update(
        actor=actor,
        instance=rule,
        data=_normalize(actor, data, rule),
        version=rule.version if version is None else version,
    )


def workflow_delete(*, actor: User, rule: WorkflowRule) -> None:
    record_delete(actor=actor, instance=rule)
