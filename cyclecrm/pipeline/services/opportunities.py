"""Writes for opportunities: create, update, move between stages, delete.

A change of stage (a move, or an update naming another `stage_id` / `pipeline_id`) does, in one
transaction: the versioned update (a stale `version` is a 409 and nothing is recorded), one
`StageChange` row (from, to, who, when), `stage_changed_at`, the probability of the new stage
(unless the same request sets one), `closed_at` (set on entering a won or lost stage, cleared
on reopening) and, on entering a won stage, the won consequences of `services.onboarding`
(customer lifecycle, onboarding with its tasks). Entering a lost stage needs a `lost_reason`.
Events `opportunity.stage_changed` and `opportunity.won` / `opportunity.lost` follow the commit.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import FieldErrors, Forbidden
from cyclecrm.core.events import Event, emit
from cyclecrm.core.money import parse_decimal, round_money
from cyclecrm.core.records import record_create, record_delete, record_update, stale_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange, StageKind
from cyclecrm.pipeline.services.onboarding import opportunity_won_effects
from cyclecrm.pipeline.services.pipelines import pipeline_default

OPPORTUNITY_FIELDS = {
    "name", "account_id", "contact_id", "pipeline_id", "stage_id", "amount", "currency",
    "expected_close_date", "probability", "source_campaign", "lost_reason", "description",
    "owner_id", "team_id", "external_id",
}  # fmt: skip
TEXT_FIELDS = ("name", "source_campaign", "lost_reason", "description")
# Set by the stage change itself; applied even where a field rule stops the actor typing them.
DERIVED_FIELDS = ("probability", "stage_changed_at", "closed_at", "lost_reason")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
AMOUNT_MAX = 10**14  # 18 digits, 4 of them decimals

LOST_REASON_REQUIRED = "Say why the opportunity was lost."
STAGE_NOT_IN_PIPELINE = "No stage with this id in the pipeline."


def _normalize(actor: User, data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    data = dict(data)
    for name in sorted(set(data) - OPPORTUNITY_FIELDS):
        errors.add(name, "Unknown field.")
    for name in TEXT_FIELDS:
        if name in data:
            data[name] = (data[name] or "").strip()
    if "external_id" in data:
        data["external_id"] = (data["external_id"] or "").strip() or None
    if "currency" in data:
        data["currency"] = (data["currency"] or "").strip().upper()
        if data["currency"] and not CURRENCY_RE.match(data["currency"]):
            errors.add("currency", "A three-letter ISO 4217 code, e.g. EUR.")
    _decimal(data, "amount", errors, low=0, high=AMOUNT_MAX - 1)
    _decimal(data, "probability", errors, low=0, high=100)
    for name, model in (("account_id", Account), ("contact_id", Contact)):
        pk = data.get(name)
        if pk is not None and not access.restrict(model.objects.filter(pk=pk), actor).exists():
            errors.add(name, f"No {model.record_type} with this id.")
    return data


def _decimal(data: dict[str, Any], name: str, errors: FieldErrors, *, low: int, high: int) -> None:
    if name not in data:
        return
    try:
        value = parse_decimal(data[name] if data[name] not in (None, "") else 0, field=name)
    except ValueError as exc:
        errors.add(name, str(exc).removeprefix(f"{name}: "))
        return
    if value < low:
        errors.add(name, f"Cannot be below {low}.")
    elif value > high:
        errors.add(name, f"Cannot be above {high}.")
    data[name] = value


def _first_open_stage(pipeline: Pipeline) -> Stage | None:
    stages = Stage.objects.filter(pipeline=pipeline).order_by("position", "id")
    return stages.filter(kind=StageKind.OPEN).first() or stages.first()


def _target_stage(
    data: dict[str, Any], current: Opportunity | None, errors: FieldErrors
) -> Stage | None:
    """The stage the opportunity is to be in, from `pipeline_id` / `stage_id` (None: unchanged
    on update). Defaults: the default pipeline, its first open stage."""
    if current is not None and "pipeline_id" not in data and "stage_id" not in data:
        return None
    pipeline_id = data.get("pipeline_id") or (current.pipeline_id if current else None)
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first() if pipeline_id else None
    if pipeline is None and pipeline_id:
        errors.add("pipeline_id", "No pipeline with this id.")
        return None
    pipeline = pipeline or pipeline_default()
    stage_id = data.get("stage_id")
    if stage_id is None and current is not None and current.pipeline_id == pipeline.pk:
        stage = current.stage
    elif stage_id is None:
        stage = _first_open_stage(pipeline)
    else:
        stage = Stage.objects.filter(pk=stage_id, pipeline=pipeline).first()
    if stage is None:
        errors.add("stage_id", STAGE_NOT_IN_PIPELINE)
        return None
    data["pipeline_id"], data["stage_id"] = pipeline.pk, stage.pk
    return stage


def _transition(stage: Stage, data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """The fields entering `stage` sets, beside the ones the caller sent."""
    now = timezone.now()
    derived: dict[str, Any] = {"stage_changed_at": now}
    if "probability" not in data:
        derived["probability"] = stage.probability
    derived["closed_at"] = None if stage.kind == StageKind.OPEN else now
    if stage.kind == StageKind.LOST:
        if not data.get("lost_reason"):
            errors.add("lost_reason", LOST_REASON_REQUIRED)
    else:
        derived["lost_reason"] = ""
        data.pop("lost_reason", None)
    return derived


def _split_locked(actor: User, derived: dict[str, Any]) -> tuple[dict, dict]:
    """(derived fields the actor may set, those a field rule locks for them)."""
    locked = access.access_for(actor).readonly_fields(Opportunity.record_type)
    free = {k: v for k, v in derived.items() if k not in locked}
    return free, {k: v for k, v in derived.items() if k in locked}


def _stage_changed(
    actor: User, opportunity: Opportunity, old: Stage | None, new: Stage
) -> StageChange:
    change = StageChange.objects.create(
        opportunity=opportunity,
        from_stage=old,
        to_stage=new,
        actor=actor,
        at=opportunity.stage_changed_at,
    )
    payload = {"from_stage": old.pk if old else None, "to_stage": new.pk, "kind": new.kind}
    emit(Event("opportunity.stage_changed", "opportunity", opportunity.pk, actor.pk, payload))
    if new.kind != StageKind.OPEN and (old is None or old.kind != new.kind):
        emit(Event(f"opportunity.{new.kind}", "opportunity", opportunity.pk, actor.pk, payload))
    if new.kind == StageKind.WON and (old is None or old.kind != StageKind.WON):
        opportunity_won_effects(opportunity=opportunity)
    return change


def opportunity_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Opportunity:
    """Create an opportunity; the pipeline defaults to the default one, the stage to its first
    open stage, the probability to the stage's, the currency to the installation's default and
    the expected close date to 30 days from today. Created in a won stage, it is won at once."""
    errors = FieldErrors()
    data = _normalize(actor, data, errors)
    stage = _target_stage(data, None, errors)
    derived = _transition(stage, data, errors) if stage is not None else {}
    errors.raise_if_any()
    data["currency"] = data.get("currency") or settings.CYCLECRM["DEFAULT_CURRENCY"]
    if "amount" in data:
        data["amount"] = round_money(data["amount"], data["currency"])
    free, locked = _split_locked(actor, derived)
    with transaction.atomic():
        opportunity = record_create(
            actor=actor, model=Opportunity, data={**data, **free}, tags=tags, custom=custom
        )
        if locked:
            Opportunity.objects.filter(pk=opportunity.pk).update(**locked)
            for name, value in locked.items():
                setattr(opportunity, name, value)
        _stage_changed(actor, opportunity, None, opportunity.stage)
    return opportunity


def opportunity_update(
    *,
    actor: User,
    opportunity: Opportunity,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Opportunity:
    """Partial update; naming another stage or pipeline moves the opportunity (see module)."""
    errors = FieldErrors()
    data = _normalize(actor, data, errors)
    old_stage = opportunity.stage
    stage = _target_stage(data, opportunity, errors)
    moving = stage is not None and stage.pk != old_stage.pk
    derived = _transition(stage, data, errors) if moving else {}
    if not moving and old_stage.kind == StageKind.LOST and data.get("lost_reason") == "":
        errors.add("lost_reason", LOST_REASON_REQUIRED)
    if "expected_close_date" in data and data["expected_close_date"] in (None, ""):
        errors.add("expected_close_date", "An opportunity needs an expected close date.")
    errors.raise_if_any()
    if data.get("amount") is not None:
        currency = data.get("currency") or opportunity.currency
        data["amount"] = round_money(data["amount"], currency)
    if data.get("currency") == "":
        data["currency"] = settings.CYCLECRM["DEFAULT_CURRENCY"]
    free, locked = _split_locked(actor, derived)
    with transaction.atomic():
        for name, value in locked.items():
            setattr(opportunity, name, value)
        opportunity = record_update(
            actor=actor,
            instance=opportunity,
            data={**data, **free},
            version=version,
            tags=tags,
            custom=custom,
        )
        if moving:
            _stage_changed(actor, opportunity, old_stage, stage)
    return opportunity


def opportunity_move(
    *,
    actor: User,
    opportunity: Opportunity,
    stage_id: int,
    version: int | None,
    lost_reason: str | None = None,
) -> Opportunity:
    """Move to another stage of the same pipeline (see the module docstring). Moving to the
    stage it is already in changes nothing (a stale version is still a 409)."""
    if stage_id == opportunity.stage_id and version is not None:
        if not access.can(actor, Action.EDIT, opportunity):
            raise Forbidden("You may not edit this record.")
        if version != opportunity.version:
            raise stale_version(opportunity.version)
        return opportunity
    data: dict[str, Any] = {"stage_id": stage_id}
    if lost_reason is not None:
        data["lost_reason"] = lost_reason
    return opportunity_update(actor=actor, opportunity=opportunity, data=data, version=version)


def opportunity_delete(*, actor: User, opportunity: Opportunity) -> None:
    """Delete an opportunity with its stage history; an onboarding it started stays."""
    record_delete(actor=actor, instance=opportunity)
