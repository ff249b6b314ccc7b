"""Running workflow rules: trigger matching, loop protection, conditions, actions, the run log.

A run is a job (`tasks.run_rule`), never part of the request that caused the event. It acts
as the rule's owner (the system actor for a rule without an active owner), so every action
passes through the same rights checks as that person would. All actions of one run share a
transaction: when one fails, none of them stays and the run is logged `failed`.

Loop protection: actions run inside `caused_by(chain + (rule, record))`, so events they emit
carry the chain. A rule that already appears in the chain for the same record, or a chain of
`MAX_CHAIN_DEPTH` links, is not run again; the run is logged `loop_blocked`."""

import datetime as dt
import time
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from cyclecrm.automation.actions import ActionContext, action_type
from cyclecrm.automation.models import RunOutcome, Trigger, WorkflowRule, WorkflowRun
from cyclecrm.automation.records import AUTOMATED_TYPES, condition_fields
from cyclecrm.core.errors import CrmError, Forbidden, NotFound
from cyclecrm.core.events import ChainLink, Event, caused_by
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.segments.rules import compile_rules

MAX_CHAIN_DEPTH = 5
SCHEDULE_BATCH = 500
OWNER_INACTIVE = "The rule's owner is inactive; give the rule to an active user."
RECORD_GONE = "The record no longer exists or the rule's owner may not read it."


class ActionFailed(CrmError):
    code = "action_failed"


def trigger_matches(rule: WorkflowRule, event: Event) -> bool:
    """Whether the event satisfies the rule's trigger options (the event name already does)."""
    config = rule.trigger_config or {}
    if rule.trigger == Trigger.UPDATED and config.get("field"):
        change = (event.data.get("changes") or {}).get(_attname(rule, config["field"]))
        if change is None:
            return False
        return "value" not in config or _same(change[1], config["value"])
    if rule.trigger == Trigger.STAGE_CHANGED:
        for key in ("from_stage", "to_stage"):
            if config.get(key) is not None and event.data.get(key) != config[key]:
                return False
    if rule.trigger == Trigger.FORM_SUBMITTED and config.get("form") is not None:
        return event.data.get("form") == config["form"]
    return True


def _attname(rule: WorkflowRule, name: str) -> str:
    model = AUTOMATED_TYPES[rule.record_type_key].model
    for field in model._meta.concrete_fields:
        if field.name == name:
            return field.attname
    return name


def _same(actual: Any, expected: Any) -> bool:
    return actual == expected or str(actual) == str(expected)


def rule_actor(rule: WorkflowRule) -> User:
    """Who a rule acts as: its owner; the system actor for a rule without one (only those who
    may give records to nobody, administrators, can make such a rule)."""
    if rule.owner_id is None:
        return system_actor()
    if not rule.owner.is_active:
        raise Forbidden(OWNER_INACTIVE)
    return rule.owner


def _load_record(actor: User, type_key: str, object_id: int) -> models.Model | None:
    model = AUTOMATED_TYPES[type_key].model
    return access.restrict(model.objects.filter(pk=object_id), actor).first()


def conditions_met(actor: User, rule: WorkflowRule, record: models.Model) -> bool:
    """One EXISTS query: the record filtered by the compiled conditions."""
    compiled = compile_rules(
        rule.conditions or {"all": []},
        prefix="conditions",
        hidden=access.access_for(actor).hidden_fields(rule.record_type_key),
        fields=condition_fields(rule.record_type_key),
    )
    return compiled.apply(type(record).objects.filter(pk=record.pk)).exists()


def rule_run(
    *,
    rule_id: int,
    object_id: int,
    event: str,
    event_data: dict[str, Any] | None = None,
    chain: tuple[ChainLink, ...] = (),
    job_key: str = "",
) -> WorkflowRun | None:
    """Run one rule on one record and log the run; None when the rule is gone or inactive.

    `job_key` (the job's task id) makes the run happen once: the run row commits in one
    transaction with the actions, so a job run again after a crash at any point (a killed
    worker's job is resumed with the same id, ADR 0033) either finds the row and returns it, or
    finds nothing of the first attempt and acts. Two attempts at once: the unique key lets one
    commit, the other is rolled back whole."""
    if job_key and (done := WorkflowRun.objects.filter(job_key=job_key).first()):
        return done
    rule = WorkflowRule.objects.select_related("owner").filter(pk=rule_id, active=True).first()
    if rule is None:
        return None
    run = WorkflowRun(
        rule=rule,
        record_type_key=rule.record_type_key,
        object_id=object_id,
        event=event,
        event_data=event_data or {},
        chain=[list(link) for link in chain],
        job_key=job_key,
    )
    try:
        with transaction.atomic():
            _run_logged(rule, run, chain)
    except IntegrityError:
        if job_key and (done := WorkflowRun.objects.filter(job_key=job_key).first()):
            return done
        raise
    return run


def _run_logged(rule: WorkflowRule, run: WorkflowRun, chain: tuple[ChainLink, ...]) -> None:
    started = time.monotonic()
    link: ChainLink = (rule.pk, rule.record_type_key, run.object_id)
    if link in chain or len(chain) >= MAX_CHAIN_DEPTH:
        run.outcome = RunOutcome.LOOP_BLOCKED
    else:
        _execute(rule, run, (*chain, link))
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save()


def _execute(rule: WorkflowRule, run: WorkflowRun, chain: tuple[ChainLink, ...]) -> None:
    try:
        actor = rule_actor(rule)
        record = _load_record(actor, rule.record_type_key, run.object_id)
        if record is None:
            run.outcome, run.error = RunOutcome.FAILED, RECORD_GONE
            return
        if not conditions_met(actor, rule, record):
            run.outcome = RunOutcome.SKIPPED
            return
        with transaction.atomic(), caused_by(chain):
            for index, action in enumerate(rule.actions):
                run.results.append(_run_action(actor, rule, record, run, index, action))
        run.outcome = RunOutcome.SUCCESS
    except Exception as exc:  # any failure, expected or a bug, belongs in the run log
        run.outcome, run.error = RunOutcome.FAILED, _describe(exc)
        for item in run.results:
            item["rolled_back"] = True


def _run_action(
    actor: User,
    rule: WorkflowRule,
    record: models.Model,
    run: WorkflowRun,
    index: int,
    action: dict[str, Any],
) -> dict[str, Any]:
    kind = action_type(action.get("type", ""))
    if kind is None:
        raise ActionFailed(f"actions[{index}]: the action type '{action.get('type')}' is gone.")
    context = ActionContext(
        actor=actor,
        rule=rule,
        record=record,
        record_type=rule.record_type_key,
        event=run.event,
        event_data=run.event_data,
    )
    try:
        result = kind.handler(context, dict(action.get("params") or {}))
    except Exception as exc:
        raise ActionFailed(f"actions[{index}] ({kind.name}): {_describe(exc)}") from exc
    return {"index": index, "type": kind.name, "ok": True, **result}


def _describe(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc) or type(exc).__name__
    fields = getattr(exc, "fields", None) or {}
    details = "; ".join(f"{name}: {' '.join(reasons)}" for name, reasons in fields.items())
    return f"{text} ({details})" if details and details not in text else text


def rule_dry_run(*, actor: User, rule: WorkflowRule, object_id: Any) -> dict[str, Any]:
    """What a run would do on the record, as the rule's actor would see it: nothing is written."""
    record = None
    if str(object_id).isdigit():
        record = _load_record(actor, rule.record_type_key, int(object_id))
    if record is None:
        raise NotFound(
            f"No {rule.record_type_key} with this id.", fields={"record_id": ["Not found."]}
        )
    runner = rule_actor(rule)
    visible = _load_record(runner, rule.record_type_key, record.pk) is not None
    met = visible and conditions_met(runner, rule, record)
    return {
        "record_id": record.pk,
        "visible_to_rule_owner": visible,
        "conditions_met": met,
        "actions": [
            {"index": i, "type": a.get("type"), "params": a.get("params", {})}
            for i, a in enumerate(rule.actions)
        ]
        if met
        else [],
    }


# -- schedules -----------------------------------------------------------------------------------


def schedule_due(rule: WorkflowRule, now: dt.datetime) -> bool:
    config = rule.trigger_config or {}
    last = rule.last_scheduled_at
    if config.get("every_hours"):
        return last is None or now - last >= dt.timedelta(hours=config["every_hours"])
    hour, minute = (int(part) for part in str(config.get("at", "00:00")).split(":"))
    today_at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return now >= today_at and (last is None or last < today_at)


def schedule_run_due(*, now: dt.datetime | None = None) -> int:
    """Start every due schedule rule over the records matching its conditions (at most
    `SCHEDULE_BATCH` per rule and turn); returns the number of runs queued."""
    from cyclecrm.automation.subscribers import enqueue_run

    now = now or timezone.now()
    queued = 0
    rules = WorkflowRule.objects.filter(trigger=Trigger.SCHEDULE, active=True).select_related(
        "owner"
    )
    for rule in rules:
        if not schedule_due(rule, now):
            continue
        WorkflowRule.objects.filter(pk=rule.pk).update(last_scheduled_at=now)
        try:
            object_ids = _scheduled_records(rule)
        except CrmError:
            continue  # an inactive owner or conditions no longer valid: nothing to run
        for object_id in object_ids:
            enqueue_run(rule.pk, object_id, "schedule", {"at": now.isoformat()}, ())
            queued += 1
    return queued


def _scheduled_records(rule: WorkflowRule) -> list[int]:
    actor = rule_actor(rule)
    model = AUTOMATED_TYPES[rule.record_type_key].model
    compiled = compile_rules(
        rule.conditions or {"all": []},
        prefix="conditions",
        hidden=access.access_for(actor).hidden_fields(rule.record_type_key),
        fields=condition_fields(rule.record_type_key),
    )
    records = compiled.apply(access.restrict(model.objects.all(), actor))
    return list(records.order_by("pk").values_list("pk", flat=True)[:SCHEDULE_BATCH])
