"""Writes for opportunities and pipelines."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import record_create
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange

DEFAULT_STAGES = [
    ("Prospecting", 10, "open"),
    ("Qualification", 20, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
]

OPPORTUNITY_FIELDS = {
    "name", "account_id", "contact_id", "pipeline_id", "stage_id", "amount", "currency",
    "expected_close_date", "probability", "source_campaign", "lost_reason", "description",
    "owner_id", "team_id", "external_id",
}  # fmt: skip


def pipeline_default() -> Pipeline:
    """The default pipeline, created with standard stages when the installation has none."""
    pipeline = Pipeline.objects.filter(is_default=True, is_active=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.filter(is_active=True).order_by("position", "id").first()
    if pipeline is None:
        with transaction.atomic():
            pipeline = Pipeline.objects.create(name="Sales", is_default=True)
            Stage.objects.bulk_create(
                Stage(pipeline=pipeline, name=name, position=i, probability=p, kind=kind)
                for i, (name, p, kind) in enumerate(DEFAULT_STAGES)
            )
    return pipeline


def _normalize_opportunity(actor: User, data: dict[str, Any], errors: FieldErrors) -> dict:
    data = dict(data)
    for name in sorted(set(data) - OPPORTUNITY_FIELDS):
        errors.add(name, "Unknown field.")
    if "amount" in data:
        try:
            data["amount"] = parse_decimal(data["amount"] or 0, field="amount")
        except ValueError as exc:
            errors.add("amount", str(exc))
        else:
            if data["amount"] < 0:
                errors.add("amount", "The amount cannot be negative.")
    if "currency" in data:
        data["currency"] = (data["currency"] or "").strip().upper()
    for name, model in (("account_id", Account), ("contact_id", Contact)):
        pk = data.get(name)
        if pk is not None and not access.restrict(model.objects.filter(pk=pk), actor).exists():
            errors.add(name, f"No {model.record_type} with this id.")
    return data


def _resolve_stage(data: dict[str, Any], errors: FieldErrors) -> None:
    pipeline_id = data.get("pipeline_id")
    pipeline = (
        Pipeline.objects.filter(pk=pipeline_id).first() if pipeline_id else pipeline_default()
    )
    if pipeline is None:
        errors.add("pipeline_id", "No pipeline with this id.")
        return
    data["pipeline_id"] = pipeline.pk
    stage_id = data.get("stage_id")
    stages = Stage.objects.filter(pipeline=pipeline)
    stage = stages.filter(pk=stage_id).first() if stage_id else stages.order_by("position").first()
    if stage is None:
        errors.add("stage_id", "No stage with this id in the pipeline.")
        return
    data["stage_id"] = stage.pk
    data.setdefault("probability", stage.probability)


def opportunity_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Opportunity:
    """Create an opportunity; pipeline and stage default to the default pipeline's first stage,
    the probability to the stage's, the currency to the installation's default."""
    errors = FieldErrors()
    data = _normalize_opportunity(actor, data, errors)
    _resolve_stage(data, errors)
    errors.raise_if_any()
    data["currency"] = data.get("currency") or settings.CYCLECRM["DEFAULT_CURRENCY"]
    with transaction.atomic():
        opportunity = record_create(
            actor=actor, model=Opportunity, data=data, tags=tags, custom=custom
        )
        StageChange.objects.create(
            opportunity=opportunity, from_stage=None, to_stage_id=opportunity.stage_id, actor=actor
        )
    return opportunity
