"""Factories for pipeline tests: plain ORM inserts (no permission checks) so a test can set up
any state, including a stage history with fixed timestamps."""

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cyclecrm.identity.models import User
from cyclecrm.pipeline.models import (
    ExchangeRate,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)
from cyclecrm.pipeline.services import DEFAULT_STAGES

_seq = itertools.count(1)


def make_pipeline(name: str | None = None, *, is_default: bool = False, **fields: Any) -> Pipeline:
    """A pipeline with the standard stages (Prospecting 10 %, Qualification 20 %, Proposal 50 %,
    Negotiation 75 %, Closed won 100 %, Closed lost 0 %)."""
    pipeline = Pipeline.objects.create(
        name=name or f"Pipeline {next(_seq)}", is_default=is_default, **fields
    )
    for position, (stage_name, probability, kind) in enumerate(DEFAULT_STAGES):
        Stage.objects.create(
            pipeline=pipeline,
            name=stage_name,
            position=position,
            probability=Decimal(probability),
            kind=kind,
        )
    return pipeline


def stage(pipeline: Pipeline, name: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline, name=name)


def make_opportunity(
    owner: User | None = None,
    *,
    pipeline: Pipeline,
    stage_name: str = "Prospecting",
    history: bool = True,
    **fields: Any,
) -> Opportunity:
    """An opportunity in `stage_name`; with `history`, one StageChange into it at creation."""
    target = stage(pipeline, stage_name)
    fields.setdefault("name", f"Deal {next(_seq)}")
    fields.setdefault("currency", "USD")
    fields.setdefault("amount", Decimal("1000"))
    fields.setdefault("probability", target.probability)
    created = fields.pop("created_at", timezone.now())
    if target.kind != StageKind.OPEN:
        fields.setdefault("closed_at", created)
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    opportunity = Opportunity.objects.create(
        owner=owner,
        team=team,
        created_by=owner,
        pipeline=pipeline,
        stage=target,
        created_at=created,
        stage_changed_at=created,
        **fields,
    )
    if history:
        StageChange.objects.create(
            opportunity=opportunity, from_stage=None, to_stage=target, actor=owner, at=created
        )
    return opportunity


def record_moves(opportunity: Opportunity, moves: list[tuple[str, dt.datetime]]) -> None:
    """Append stage changes (stage name, time) and leave the opportunity in the last stage."""
    previous = opportunity.stage
    for name, at in moves:
        target = stage(opportunity.pipeline, name)
        StageChange.objects.create(
            opportunity=opportunity, from_stage=previous, to_stage=target, at=at
        )
        previous = target
    closed = previous.kind != StageKind.OPEN
    Opportunity.objects.filter(pk=opportunity.pk).update(
        stage=previous,
        stage_changed_at=moves[-1][1],
        closed_at=moves[-1][1] if closed else None,
        probability=previous.probability,
    )
    opportunity.refresh_from_db()


def make_rate(currency: str, valid_from: dt.date, rate: str) -> ExchangeRate:
    return ExchangeRate.objects.create(currency=currency, valid_from=valid_from, rate=Decimal(rate))
