"""The lead funnel and its step-to-step conversion rates (docs/kpis.md#acquisition).

One cohort: the leads created in the period. The steps are `leads.funnel` (the same
conditions the lead list's `reached=` filter applies, so a funnel step drills down to exactly
the leads it counts); every figure is one query of conditional counts.
"""

from collections.abc import Callable

from django.db.models import Count, Q, QuerySet

from cyclecrm.analytics.kpis.definitions import Area, Group, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import (
    bucket,
    drill,
    drill_filters,
    drill_period,
    in_period,
    percent,
    scoped,
    series,
)
from cyclecrm.identity.models import User
from cyclecrm.leads import funnel
from cyclecrm.leads.models import Lead, LeadSource

SOURCES = ("leads.Lead", "leads.LeadStatusChange", "pipeline.Opportunity", "pipeline.Stage")
FILTERS = frozenset({"team", "owner", "campaign"})
NO_LEADS = "No leads were created in the period."

# Conditions beyond the funnel steps: "converted" is any conversion (with or without a deal).
CONDITIONS: dict[str, Callable[[], Q]] = {
    **{step: (lambda step=step: funnel.reached_q(step)) for step in funnel.STEPS},
    "converted": lambda: Q(converted_at__isnull=False),
}


def cohort(actor: User, q: KpiQuery) -> QuerySet[Lead]:
    """The leads created in the period that the actor may read, filtered by the query."""
    leads = scoped(actor, Lead.objects.all(), q, campaign="source_campaign")
    return leads.filter(in_period("created_at", q))


def counts(leads: QuerySet[Lead], names: tuple[str, ...]) -> dict[str, int]:
    """How many of `leads` meet each named condition, in one query."""
    return leads.aggregate(**{name: _count(name) for name in names})


def _count(name: str) -> Count:
    return Count("id") if name == "lead" else Count("id", filter=CONDITIONS[name]())


def _drill(q: KpiQuery, **params: object) -> str:
    extra = {"source_campaign_id": q.campaign} if q.campaign is not None else {}
    return drill("lead_list", **drill_period(q), **drill_filters(q), **extra, **params)


@metric(
    name="lead_funnel",
    label="Lead funnel",
    area=Area.ACQUISITION,
    unit=Unit.COUNT,
    description="Of the leads created in the period, how many reached MQL, SQL, an "
    "opportunity and a won deal.",
    formula="count(leads created in the period that reached each step or a later one)",
    period="Leads created in the period (UTC days).",
    filters=FILTERS,
    dimensions=("step",),
    grains=False,
    sources=SOURCES,
    chart="funnel",
    example="10 leads, 6 MQL, 4 SQL, 2 opportunities, 1 won: MQL step 6 (60% of 10).",
)
def lead_funnel(actor: User, q: KpiQuery) -> Result:
    found = counts(cohort(actor, q), funnel.STEPS)
    groups = []
    previous = None
    for step in funnel.STEPS:
        groups.append(
            Group(
                key=step,
                label=funnel.LABELS[step],
                value=found[step],
                drill_url=_drill(q, reached=None if step == "lead" else step),
                numerator=found[step] if previous else None,
                denominator=found[previous] if previous else None,
            )
        )
        previous = step
    return Result(
        value=found["lead"],
        no_data=None if found["lead"] else NO_LEADS,
        groups=groups,
        drill_url=_drill(q),
        extra={"step_rates": {g.key: percent(g.numerator, g.denominator) for g in groups[1:]}},
    )


def step_rate(actor: User, q: KpiQuery, part: str, whole: str, no_data: str) -> Result:
    """`part` ÷ `whole` over the period's leads: overall, per month/week/day, or per source or
    campaign (one query each)."""
    leads = cohort(actor, q)
    if q.grain:
        rows = (
            leads.annotate(period=bucket("created_at", q.grain))
            .values("period")
            .annotate(part=_count(part), whole=_count(whole))
            .order_by()
        )
        values = {row["period"]: percent(row["part"], row["whole"]) for row in rows}
        total = counts(leads, (part, whole))
        return _rate(q, total[part], total[whole], no_data, part, series=series(q, values, None))
    if q.dimension:
        return _grouped_rate(q, leads, part, whole, no_data)
    total = counts(leads, (part, whole))
    return _rate(q, total[part], total[whole], no_data, part)


def _rate(q: KpiQuery, num: int, den: int, no_data: str, part: str, **more: object) -> Result:
    return Result(
        value=percent(num, den),
        no_data=None if den else no_data,
        numerator=num,
        denominator=den,
        drill_url=_drill(q, **_reached(part)),
        **more,
    )


def _reached(part: str) -> dict[str, object]:
    return {"converted": "true"} if part == "converted" else {"reached": part}


def _grouped_rate(q: KpiQuery, leads: QuerySet[Lead], part: str, whole: str, no_data: str):
    field, label_field = (
        ("source", None)
        if q.dimension == "source"
        else ("source_campaign_id", "source_campaign__name")
    )
    names = dict(LeadSource.choices)
    rows = (
        leads.values(*filter(None, (field, label_field)))
        .annotate(part=_count(part), whole=_count(whole))
        .order_by(field)
    )
    groups = []
    for row in rows:
        key = row[field]
        label = names.get(key, key) if label_field is None else row[label_field] or "No campaign"
        link = {"source": key} if field == "source" else {"source_campaign_id": key}
        groups.append(
            Group(
                key=str(key or ""),
                label=label,
                value=percent(row["part"], row["whole"]),
                numerator=row["part"],
                denominator=row["whole"],
                drill_url=_drill(q, **link, **_reached(part)) if key else None,
            )
        )
    num = sum(g.numerator for g in groups)
    den = sum(g.denominator for g in groups)
    return _rate(q, num, den, no_data, part, groups=groups)


def _rate_metric(name: str, label: str, part: str, whole: str, description: str, example: str):
    no_data = NO_LEADS if whole == "lead" else f"No lead in the period reached {whole.upper()}."

    @metric(
        name=name,
        label=label,
        area=Area.ACQUISITION,
        unit=Unit.PERCENT,
        description=description,
        formula=f"{_term(part)} ÷ {_term(whole)} * 100, over the leads created in the period",
        period="Leads created in the period (UTC days), whenever they progressed.",
        filters=FILTERS,
        dimensions=("source", "campaign"),
        sources=SOURCES,
        chart="line",
        example=example,
    )
    def compute(actor: User, q: KpiQuery) -> Result:
        return step_rate(actor, q, part, whole, no_data)

    compute.__name__ = name
    return compute


def _term(step: str) -> str:
    return {
        "lead": "leads",
        "converted": "converted leads",
        "mql": "leads that reached MQL",
        "sql": "leads that reached SQL",
        "opportunity": "leads converted with an opportunity",
        "won": "leads whose opportunity was won",
    }[step]


lead_conversion_rate = _rate_metric(
    "lead_conversion_rate",
    "Lead conversion rate",
    "converted",
    "lead",
    "Share of the period's new leads that have been converted.",
    "20 leads created in March, 5 of them converted: 25.00%.",
)
lead_to_mql_rate = _rate_metric(
    "lead_to_mql_rate",
    "Lead-to-MQL rate",
    "mql",
    "lead",
    "Share of the period's new leads that became marketing-qualified.",
    "20 leads, 8 reached MQL: 40.00%.",
)
mql_to_sql_rate = _rate_metric(
    "mql_to_sql_rate",
    "MQL-to-SQL rate",
    "sql",
    "mql",
    "Share of the period's MQLs that became sales-qualified.",
    "8 MQLs, 6 reached SQL: 75.00%.",
)
sql_to_opportunity_rate = _rate_metric(
    "sql_to_opportunity_rate",
    "SQL-to-opportunity rate",
    "opportunity",
    "sql",
    "Share of the period's SQLs converted with an opportunity.",
    "6 SQLs, 3 converted with an opportunity: 50.00%.",
)
opportunity_to_won_rate = _rate_metric(
    "opportunity_to_won_rate",
    "Opportunity-to-won rate",
    "won",
    "opportunity",
    "Share of the opportunities from the period's leads that were won.",
    "3 opportunities, 1 won: 33.33%.",
)
