"""Importing opportunities (deals).

The rules of `pipeline.services.opportunities` hold for imported rows:
- the pipeline is found by name (default: the default pipeline), the stage by name within it
  (case, spaces and punctuation ignored, so HubSpot's `closedwon` finds "Closed won"; default:
  the pipeline's first open stage); an unknown name rejects the row: pipelines are shared
  configuration an import does not create;
- the probability defaults to the stage's; a won or lost stage sets `closed_at` (the close date
  of the row when given, else now); a lost stage needs a `lost_reason`;
- the amount is money rounded to its currency's minor unit; the currency an ISO-4217 code,
  default the installation's;
- the account by `account_external_id`, then `account_name`; the contact by
  `contact_external_id`, then `contact_email`; only records the importing user may see;
- every stage an opportunity enters is a `StageChange` row. Imported deals are history: a deal
  imported as won does not start an onboarding (that follows a win in the CRM, not an import).
"""

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.catalog.services.common import currency_code, money_value, percent_value
from cyclecrm.core.money import round_money
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey
from cyclecrm.dataquality.imports.targets.lookups import link_customer
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange, StageKind
from cyclecrm.pipeline.services.opportunities import LOST_REASON_REQUIRED
from cyclecrm.pipeline.services.pipelines import pipeline_default

# The stage the opportunity was in before the import moved it, kept for `write_updated`.
_STAGE_BEFORE = "_import_stage_before"
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _folded(value: Any) -> str:
    return _NON_ALNUM.sub("", str(value or "").casefold())


class OpportunityTarget(ImportTarget):
    record_type = "opportunity"
    label = "Opportunities"
    model = Opportunity
    columns = (
        Column(
            "external_id", "External ID", "text",
            synonyms=("id", "deal id", "opportunity id", "record id"), max_length=100,
        ),
        Column(
            "name", "Name", "text", required=True,
            synonyms=("deal name", "opportunity name", "deal", "title", "deal title"),
            max_length=200,
        ),
        Column("pipeline", "Pipeline", "lookup", synonyms=("deal pipeline",)),
        Column("stage", "Stage", "lookup", synonyms=("deal stage", "sales stage", "phase")),
        Column(
            "amount", "Amount", "decimal", synonyms=("value", "deal value", "deal amount"),
        ),
        Column("currency", "Currency", "text", synonyms=("deal currency",), max_length=3),
        Column(
            "expected_close_date", "Close date", "date",
            synonyms=("expected close date", "closing date", "close"),
        ),
        Column(
            "probability", "Probability (%)", "decimal",
            synonyms=("probability", "win probability", "deal probability"),
        ),
        Column(
            "account_external_id", "Account external ID", "lookup",
            synonyms=("account id", "company id", "organization id"),
        ),
        Column(
            "account_name", "Account name", "lookup",
            synonyms=("account", "company", "company name", "organization", "organisation"),
        ),
        Column(
            "contact_external_id", "Contact external ID", "lookup",
            synonyms=("contact id", "person id"),
        ),
        Column(
            "contact_email", "Contact e-mail", "lookup",
            synonyms=("contact email", "person email", "email"),
        ),
        Column(
            "source_campaign", "Source campaign", "text", synonyms=("campaign",), max_length=200
        ),
        Column(
            "lost_reason", "Lost reason", "text",
            synonyms=("closed lost reason", "loss reason"), max_length=200,
        ),
        Column(
            "description", "Description", "text", synonyms=("notes", "deal description"),
            max_length=10000,
        ),
        Column("owner", "Owner", "lookup", synonyms=("deal owner", "opportunity owner")),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )  # fmt: skip
    match_keys = (MatchKey("external_id", ("external_id",)),)

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        link_customer(rows, actor=actor)
        stages = _StageFinder()
        for row in rows:
            pipeline_name, stage_name = row.values.pop("pipeline", ""), row.values.pop("stage", "")
            if row.ok:
                stages.place(row, pipeline_name, stage_name)
            if row.ok:
                _check_money(row)

    def build(self, values: dict[str, Any], *, actor: Any) -> models.Model:
        values = {**values}
        stage = _stage(values.pop("stage_id", None), values.pop("pipeline_id", None))
        values["stage"], values["pipeline"] = stage, stage.pipeline
        values.setdefault("currency", settings.CYCLECRM["DEFAULT_CURRENCY"])
        if values.get("amount") is not None:
            values["amount"] = round_money(values["amount"], values["currency"])
        values.setdefault("probability", stage.probability)
        values["stage_changed_at"] = timezone.now()
        values["closed_at"] = _closed_at(stage, values.get("expected_close_date"))
        if stage.kind != StageKind.LOST:
            values["lost_reason"] = ""
        return super().build(values, actor=actor)

    def apply(self, instance: models.Model, values: dict[str, Any]) -> list[str]:
        """Fields as the base does; a named stage (or another pipeline) moves the deal, with
        the stage's probability unless the row gives one."""
        values = {**values}
        stage_id, pipeline_id = values.pop("stage_id", None), values.pop("pipeline_id", None)
        if values.get("amount") is not None:
            currency = values.get("currency") or instance.currency
            values["amount"] = round_money(values["amount"], currency)
        changed = super().apply(instance, values)
        moves = stage_id not in (None, instance.stage_id) or (
            stage_id is None and pipeline_id not in (None, instance.pipeline_id)
        )
        if not moves:
            return changed
        stage = _stage(stage_id, pipeline_id)
        setattr(instance, _STAGE_BEFORE, instance.stage_id)
        instance.stage, instance.pipeline = stage, stage.pipeline
        instance.stage_changed_at = timezone.now()
        instance.closed_at = _closed_at(stage, instance.expected_close_date)
        if "probability" not in values:
            instance.probability = stage.probability
        if stage.kind != StageKind.LOST:
            instance.lost_reason = ""
        moved = ["stage", "pipeline", "stage_changed_at", "closed_at", "probability"]
        return list(dict.fromkeys([*changed, *moved, "lost_reason"]))

    def write_created(self, instances: list[models.Model]) -> None:
        super().write_created(instances)
        StageChange.objects.bulk_create(
            [
                StageChange(
                    opportunity_id=opp.pk,
                    to_stage_id=opp.stage_id,
                    actor_id=opp.created_by_id,
                    at=opp.stage_changed_at,
                )
                for opp in instances
            ]
        )

    def write_updated(self, instances: list[models.Model], fields: Any) -> None:
        super().write_updated(instances, fields)
        StageChange.objects.bulk_create(
            [
                StageChange(
                    opportunity_id=opp.pk,
                    from_stage_id=getattr(opp, _STAGE_BEFORE),
                    to_stage_id=opp.stage_id,
                    actor_id=opp.updated_by_id,
                    at=opp.stage_changed_at,
                )
                for opp in instances
                if hasattr(opp, _STAGE_BEFORE)
            ]
        )


class _StageFinder:
    """Pipelines and stages by folded name, read once per chunk."""

    def __init__(self) -> None:
        self._default = pipeline_default()  # created with standard stages when none exists
        self.pipelines = {_folded(p.name): p for p in Pipeline.objects.filter(is_active=True)}
        self.stages: dict[tuple[int, str], Stage] = {}
        for stage in Stage.objects.select_related("pipeline").filter(pipeline__is_active=True):
            self.stages.setdefault((stage.pipeline_id, _folded(stage.name)), stage)

    def default(self) -> Pipeline:
        return self._default

    def place(self, row: CleanRow, pipeline_name: str, stage_name: str) -> None:
        """Set `pipeline` (when named) and `stage` (when named) on the row, or reject it."""
        pipeline = None
        if pipeline_name:
            pipeline = self.pipelines.get(_folded(pipeline_name))
            if pipeline is None:
                row.reject("pipeline", pipeline_name, "No active pipeline has this name.")
                return
            row.values["pipeline_id"] = pipeline.pk
        if not stage_name:
            return
        pipeline = pipeline or self.default()
        stage = self.stages.get((pipeline.pk, _folded(stage_name)))
        if stage is None:
            names = ", ".join(s.name for (pk, _), s in self.stages.items() if pk == pipeline.pk)
            row.reject("stage", stage_name, f"No stage of this name in {pipeline.name}: {names}.")
            return
        row.values["stage_id"] = stage.pk
        if stage.kind == StageKind.LOST and not row.values.get("lost_reason"):
            row.reject("lost_reason", "", LOST_REASON_REQUIRED)


def _check_money(row: CleanRow) -> None:
    values = row.values
    for name, check in (
        ("currency", currency_code),
        ("amount", money_value),
        ("probability", percent_value),
    ):
        if values.get(name) in (None, ""):
            values.pop(name, None)
            continue
        try:
            values[name] = check(values[name])
        except ValueError as exc:
            row.reject(name, values[name], str(exc))


def _stage(stage_id: int | None, pipeline_id: int | None) -> Stage:
    """The named stage, else the first open stage of the named (or the default) pipeline."""
    stages = Stage.objects.select_related("pipeline")
    if stage_id is not None:
        return stages.get(pk=stage_id)
    in_pipeline = stages.filter(pipeline_id=pipeline_id or pipeline_default().pk)
    stage = in_pipeline.filter(kind=StageKind.OPEN).order_by("position", "id").first()
    return stage or in_pipeline.order_by("position", "id").first()


def _closed_at(stage: Stage, close_date: dt.date | None) -> dt.datetime | None:
    if stage.kind == StageKind.OPEN:
        return None
    if close_date is None:
        return timezone.now()
    moment = timezone.make_aware(dt.datetime.combine(close_date, dt.time(12)))
    return min(moment, timezone.now())


TARGET = OpportunityTarget()
