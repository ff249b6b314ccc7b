"""Sales metrics (docs/kpis.md#sales): the open pipeline, stage distributions and stays, win
rate, deal size, sales cycle, forecast against quota and onboarding completion.

The figures shared with the pipeline's forecast and statistics pages come from the same
functions in `pipeline/analytics.py` (open and won sets, closed aggregates, stage stays,
bottleneck), so the KPI and the page cannot disagree. Amounts are in the base currency; an
opportunity whose currency has no rate on its report day is left out of sums and counted in
`extra["unconverted"]`.
"""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from cyclecrm.analytics.kpis import sales_closed, sales_quota  # noqa: F401 (registers metrics)
from cyclecrm.analytics.kpis.definitions import Area, Group, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.sales_common import (
    OPPORTUNITY_FILTERS,
    OPPORTUNITY_SOURCES,
    opportunities,
    opportunity_drill,
    owner_label,
)
from cyclecrm.analytics.kpis.scope import (
    drill,
    drill_filters,
    in_period,
    money,
    percent,
    scoped,
    to_days,
)
from cyclecrm.contacts.models import Contact, LifecycleStage
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.pipeline.analytics import open_opportunities, slowest_stage, stage_stays
from cyclecrm.pipeline.models import Pipeline, Stage, StageChange, StageKind

# -- open pipeline ------------------------------------------------------------------------------


def _open(actor: User, q: KpiQuery) -> QuerySet:
    return open_opportunities(opportunities(actor, q), today=timezone.localdate())


def _open_stages(actor: User, q: KpiQuery) -> list[Stage]:
    """The open stages a stage grouping lists (those of the pipeline filter, else of active
    pipelines), in pipeline and stage order; only of pipelines the actor may read (the labels
    name the pipeline)."""
    pipelines = access.restrict(Pipeline.objects.all(), actor).values("pk")
    stages = Stage.objects.filter(kind=StageKind.OPEN, pipeline__in=pipelines)
    stages = stages.select_related("pipeline")
    if q.pipeline is not None:
        stages = stages.filter(pipeline_id=q.pipeline)
    else:
        stages = stages.filter(pipeline__is_active=True)
    return list(stages.order_by("pipeline__position", "pipeline_id", "position", "id"))


def _stage_label(stage: Stage, q: KpiQuery) -> str:
    return stage.name if q.pipeline is not None else f"{stage.pipeline.name} · {stage.name}"


def _by_stage(actor: User, rows: QuerySet, q: KpiQuery) -> tuple[list[Stage], dict[int, dict]]:
    found = {row["stage_id"]: row for row in rows.values("stage_id").annotate(**_sums())}
    stages = _open_stages(actor, q)
    known = {stage.pk for stage in stages}
    if set(found) - known:  # stages of inactive pipelines that still hold deals
        extra = Stage.objects.filter(pk__in=set(found) - known).select_related("pipeline")
        stages += list(extra.order_by("pipeline__position", "pipeline_id", "position", "id"))
    return stages, found


def _sums() -> dict:
    return {
        "n": Count("id"),
        "value": Sum("base_amount"),
        "weighted": Sum("base_weighted"),
        "unconverted": Count("id", filter=Q(fx_rate__isnull=True)),
    }


def _pipeline_sum(actor: User, q: KpiQuery, field: str) -> Result:
    rows = _open(actor, q)
    base = opportunity_drill(q, status="open")
    if q.dimension == "stage":
        stages, found = _by_stage(actor, rows, q)
        groups = [
            Group(
                key=str(stage.pk),
                label=_stage_label(stage, q),
                value=money(found.get(stage.pk, {}).get(field)),
                drill_url=drill("opportunity_list", **{**base, "stage_id": stage.pk}),
            )
            for stage in stages
        ]
        total = rows.aggregate(**_sums())
        return Result(
            value=money(total[field]),
            groups=groups,
            drill_url=drill("opportunity_list", **base),
            extra={"count": total["n"], "unconverted": total["unconverted"]},
        )
    if q.dimension == "owner":
        grouped = (
            rows.values("owner_id", "owner__username", "owner__first_name", "owner__last_name")
            .annotate(**_sums())
            .order_by("owner__username")
        )
        groups = [
            Group(
                key=str(row["owner_id"] or ""),
                label=owner_label(row),
                value=money(row[field]),
                drill_url=drill("opportunity_list", **{**base, "owner_id": row["owner_id"]})
                if row["owner_id"]
                else None,
            )
            for row in grouped
        ]
        groups.sort(key=lambda g: -g.value)
        return Result(
            value=money(sum(g.value for g in groups)),
            groups=groups,
            drill_url=drill("opportunity_list", **base),
        )
    total = rows.aggregate(**_sums())
    return Result(
        value=money(total[field]),
        drill_url=drill("opportunity_list", **base),
        extra={"count": total["n"], "unconverted": total["unconverted"]},
    )


PIPELINE_SOURCES = (*OPPORTUNITY_SOURCES, "pipeline.Stage")


@metric(
    name="pipeline_value",
    label="Pipeline value",
    area=Area.SALES,
    unit=Unit.MONEY,
    description="The amount of the open opportunities, now.",
    formula="Σ amount * exchange rate (open opportunities)",
    period="A state, as of now: the period is ignored.",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("stage", "owner"),
    grains=False,
    sources=PIPELINE_SOURCES,
    chart="bar",
    example="Open deals of 1,000, 2,000 and 500 EUR: pipeline_value = 3,500.00 EUR.",
)
def pipeline_value(actor: User, q: KpiQuery) -> Result:
    return _pipeline_sum(actor, q, "value")


@metric(
    name="weighted_pipeline",
    label="Weighted pipeline",
    area=Area.SALES,
    unit=Unit.MONEY,
    description="The open opportunities' amounts weighted by their probability, now.",
    formula="Σ amount * exchange rate * probability ÷ 100 (open opportunities)",
    period="A state, as of now: the period is ignored.",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("stage", "owner"),
    grains=False,
    sources=PIPELINE_SOURCES,
    chart="bar",
    example="1,000 at 10 % and 2,000 at 50 %: weighted_pipeline = 100 + 1,000 = 1,100.00.",
)
def weighted_pipeline(actor: User, q: KpiQuery) -> Result:
    return _pipeline_sum(actor, q, "weighted")


@metric(
    name="stage_distribution",
    label="Opportunities by stage",
    area=Area.SALES,
    unit=Unit.PERCENT,
    description="The share of the open opportunities at each open stage, now.",
    formula="open opportunities at the stage ÷ open opportunities * 100",
    period="A state, as of now: the period is ignored.",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("stage",),
    grains=False,
    sources=PIPELINE_SOURCES,
    chart="funnel",
    example="4 open deals, 3 in Prospecting and 1 in Proposal: 75.00 % and 25.00 %.",
)
def stage_distribution(actor: User, q: KpiQuery) -> Result:
    rows = _open(actor, q)
    stages, found = _by_stage(actor, rows, q)
    total = sum(row["n"] for row in found.values())
    if not total:
        return Result(value=None, no_data="There are no open opportunities.")
    total_value = sum((row["value"] or 0) for row in found.values())
    base = opportunity_drill(q, status="open")
    groups, value_share = [], {}
    for stage in stages:
        row = found.get(stage.pk, {})
        groups.append(
            Group(
                key=str(stage.pk),
                label=_stage_label(stage, q),
                value=percent(row.get("n", 0), total),
                numerator=row.get("n", 0),
                denominator=total,
                drill_url=drill("opportunity_list", **{**base, "stage_id": stage.pk}),
            )
        )
        value_share[str(stage.pk)] = percent(row.get("value") or 0, total_value)
    return Result(
        value=percent(total, total),
        numerator=total,
        denominator=total,
        groups=groups,
        drill_url=drill("opportunity_list", **base),
        extra={"value_share": value_share},
    )


@metric(
    name="customer_stage_distribution",
    label="Contacts by lifecycle stage",
    area=Area.SALES,
    unit=Unit.PERCENT,
    description="The share of the contacts at each lifecycle stage, now.",
    formula="contacts at the lifecycle stage ÷ contacts * 100",
    period="A state, as of now: the period is ignored.",
    filters=frozenset({"team", "owner", "segment"}),
    dimensions=("lifecycle_stage",),
    grains=False,
    sources=("contacts.Contact",),
    chart="bar",
    example="10 contacts, 6 leads and 4 customers: lead 60.00 %, customer 40.00 %.",
)
def customer_stage_distribution(actor: User, q: KpiQuery) -> Result:
    contacts = scoped(actor, Contact.objects.all(), q, contact="pk")
    found = dict(
        contacts.order_by().values_list("lifecycle_stage").annotate(n=Count("id")).order_by()
    )
    total = sum(found.values())
    if not total:
        return Result(value=None, no_data="There are no contacts.")
    base = drill_filters(q)
    groups = [
        Group(
            key=key,
            label=label,
            value=percent(found.get(key, 0), total),
            numerator=found.get(key, 0),
            denominator=total,
            drill_url=drill("contact_list", lifecycle_stage=key, **base),
        )
        for key, label in LifecycleStage.choices
    ]
    return Result(
        value=percent(total, total),
        numerator=total,
        denominator=total,
        groups=groups,
        drill_url=drill("contact_list", **base),
    )


@metric(
    name="avg_days_in_stage",
    label="Average days in stage",
    area=Area.SALES,
    unit=Unit.DAYS,
    description="How long a stay in an open stage lasts, for stays that began in the period; "
    "the bottleneck is the stage with the longest average stay.",
    formula="avg(next stage change - change into the stage; now while still there)",
    period="Stage changes into an open stage made in the period.",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("stage",),
    grains=False,
    sources=(*PIPELINE_SOURCES, "pipeline.StageChange"),
    higher_is_better=False,
    chart="hbar",
    example="Stays of 2 and 4 days in Proposal, 1 day in Prospecting: Proposal 3.00 d, "
    "Prospecting 1.00 d, overall 2.33 d; bottleneck Proposal.",
)
def avg_days_in_stage(actor: User, q: KpiQuery) -> Result:
    changes = StageChange.objects.filter(
        in_period("at", q),
        opportunity__in=opportunities(actor, q).values("pk"),
        to_stage__kind=StageKind.OPEN,
    )
    rows = {row["to_stage_id"]: row for row in stage_stays(changes, timezone.now())}
    stays = sum(row["n"] for row in rows.values())
    if not stays:
        return Result(value=None, no_data="No opportunity entered an open stage in the period.")
    stages = {stage.pk: stage for stage in Stage.objects.filter(pk__in=list(rows))}
    days = {pk: to_days(row["avg"]) for pk, row in rows.items()}
    total = sum((row["avg"] * row["n"] for row in rows.values()), dt.timedelta(0))
    slowest = slowest_stage((stages[pk], days[pk]) for pk in stages)
    ordered = sorted(stages.values(), key=lambda s: (s.pipeline_id, s.position, s.pk))
    groups = [
        Group(
            key=str(stage.pk),
            label=stage.name,
            value=days[stage.pk],
            numerator=rows[stage.pk]["n"],
        )
        for stage in ordered
    ]
    return Result(
        value=to_days(total / stays),
        groups=groups if q.dimension == "stage" else None,
        extra={
            "stays": stays,
            "bottleneck": {
                "key": str(slowest.pk),
                "label": slowest.name,
                "days": days[slowest.pk],
            }
            if slowest
            else None,
        },
    )
