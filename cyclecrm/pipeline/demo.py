"""Demo step for `cyclecrm demo`: opportunities with a believable stage history, a few in other
currencies (with exchange rates), spread over the past year and the coming months.

Append `("opportunities", build_opportunities)` to `cyclecrm.core.demo.STEPS` (after accounts
and contacts). Like the other demo steps it writes with bulk_create, around the services.
"""

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from cyclecrm.core.demo.context import DemoContext
from cyclecrm.pipeline.models import (
    ExchangeRate,
    Opportunity,
    Stage,
    StageChange,
    StageKind,
)
from cyclecrm.pipeline.services import pipeline_default

PER_ACCOUNT = (0, 3)  # opportunities per account, at random in this range
MAX_OPPORTUNITIES = 400
RATES = {"EUR": ("1.08", "1.10", "1.12"), "GBP": ("1.25", "1.27", "1.29")}
PRODUCTS = ("Platform licence", "Renewal", "Expansion", "Pilot", "Services package", "Upgrade")


def build_opportunities(context: DemoContext) -> None:
    rng = context.rng("opportunities")
    pipeline = pipeline_default()
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    today = context.now.date()
    _rates(today)
    rows: list[tuple[Opportunity, list[tuple[Stage, dt.datetime]]]] = []
    for account in context.accounts:
        for _ in range(rng.randint(*PER_ACCOUNT)):
            if len(rows) >= MAX_OPPORTUNITIES:
                break
            rows.append(_opportunity(rng, context, account, stages, today))
    Opportunity.objects.bulk_create([opportunity for opportunity, _ in rows])
    changes = []
    for opportunity, path in rows:
        previous = None
        for stage, at in path:
            changes.append(
                StageChange(
                    opportunity=opportunity,
                    from_stage=previous,
                    to_stage=stage,
                    actor=opportunity.owner,
                    at=at,
                )
            )
            previous = stage
    StageChange.objects.bulk_create(changes)
    context.counts["opportunities"] = len(rows)
    context.log(f"  {len(rows)} opportunities")


def _rates(today: dt.date) -> None:
    for currency, values in RATES.items():
        for months_back, value in zip((24, 12, 3), values, strict=True):
            ExchangeRate.objects.get_or_create(
                currency=currency,
                valid_from=today - dt.timedelta(days=30 * months_back),
                defaults={"rate": Decimal(value)},
            )


def _opportunity(
    rng: random.Random, context: DemoContext, account: Any, stages: list[Stage], today: dt.date
) -> tuple[Opportunity, list[tuple[Stage, dt.datetime]]]:
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won = next(s for s in stages if s.kind == StageKind.WON)
    lost = next(s for s in stages if s.kind == StageKind.LOST)
    created = context.now - dt.timedelta(days=rng.randint(5, 360), hours=rng.randint(0, 23))
    reached = rng.randint(1, len(open_stages))
    path = [(stage, None) for stage in open_stages[:reached]]
    outcome = rng.random()
    if created < context.now - dt.timedelta(days=60) and outcome < 0.55:
        path.append((won if outcome < 0.35 else lost, None))
    timed: list[tuple[Stage, dt.datetime]] = []
    at = created
    for stage, _ in path:
        timed.append((stage, at))
        at = min(at + dt.timedelta(days=rng.randint(2, 25), hours=rng.randint(0, 12)), context.now)
    final = timed[-1][0]
    closed_at = timed[-1][1] if final.kind != StageKind.OPEN else None
    currency = rng.choices(["USD", "EUR", "GBP"], weights=[6, 3, 1])[0]
    amount = Decimal(rng.randrange(20, 900) * 100)
    close = closed_at.date() if closed_at else today + dt.timedelta(days=rng.randint(-10, 180))
    owner = account.owner or rng.choice(context.reps)
    opportunity = Opportunity(
        name=f"{account.name}: {rng.choice(PRODUCTS)}"[:200],
        account=account,
        pipeline=final.pipeline,
        stage=final,
        amount=amount,
        currency=currency,
        expected_close_date=close,
        probability=final.probability,
        lost_reason=rng.choice(["Price", "Chose a competitor", "No budget"])
        if final.kind == StageKind.LOST
        else "",
        stage_changed_at=timed[-1][1],
        closed_at=closed_at,
        owner=owner,
        team=context.home_team.get(owner.pk) if owner else None,
        created_by=owner,
        updated_by=owner,
        created_at=created,
        updated_at=timed[-1][1],
    )
    return opportunity, timed
