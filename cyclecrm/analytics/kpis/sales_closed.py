"""Sales metrics over opportunities closed in the period (win rate, average deal size, sales
cycle) and onboarding completion (docs/kpis.md#sales).

Won, lost and the cycle are `pipeline.analytics.closed_aggregates`, the same aggregates the
pipeline statistics page shows.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from cyclecrm.analytics.kpis.definitions import Area, Group, Number, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.sales_common import (
    OPPORTUNITY_FILTERS,
    OPPORTUNITY_SOURCES,
    opportunities,
    opportunity_drill,
    owner_label,
)
from cyclecrm.analytics.kpis.scope import (
    bucket,
    drill,
    in_period,
    money,
    percent,
    quotient,
    scoped,
    series,
    to_days,
)
from cyclecrm.contacts.models import Account
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.pipeline.analytics import closed_aggregates
from cyclecrm.pipeline.currency import with_base_amounts
from cyclecrm.pipeline.models import Onboarding, StageKind

CLOSED_SOURCES = (*OPPORTUNITY_SOURCES, "pipeline.Stage")
Value = Callable[[dict[str, Any]], Number | None]
Fraction = Callable[[dict[str, Any]], tuple[Number | None, Number | None]]


def _closed(actor: User, q: KpiQuery, *, amounts: bool) -> QuerySet:
    """Opportunities won or lost with `closed_at` in the period (base amounts on request)."""
    rows = opportunities(actor, q).filter(
        in_period("closed_at", q), stage__kind__in=(StageKind.WON, StageKind.LOST)
    )
    return with_base_amounts(rows, today=timezone.localdate()) if amounts else rows


def _closed_metric(
    actor: User, q: KpiQuery, value: Value, fraction: Fraction, no_data: str, *, amounts: bool
) -> Result:
    """Evaluate `value` over the closed-in-period aggregates: in total, as a series by close
    date, or grouped by owner or pipeline; `fraction` gives numerator and denominator."""
    rows = _closed(actor, q, amounts=amounts)
    aggregates = closed_aggregates()
    if amounts:
        aggregates["won_amount"] = Sum("base_amount", filter=Q(stage__kind=StageKind.WON))
    base = opportunity_drill(q, closed_after=q.since.isoformat(), closed_before=q.until.isoformat())
    totals = rows.aggregate(**aggregates)
    total = value(totals)
    numerator, denominator = fraction(totals)
    result = Result(
        value=total,
        no_data=None if total is not None else no_data,
        numerator=numerator,
        denominator=denominator,
        drill_url=drill("opportunity_list", **base),
    )
    if q.grain:
        grouped = (
            rows.annotate(period=bucket("closed_at", q.grain))
            .values("period")
            .annotate(**aggregates)
            .order_by()
        )
        result.series = series(q, {row["period"]: value(row) for row in grouped}, empty=None)
    elif q.dimension in ("owner", "pipeline"):
        result.groups = _groups(rows, q, aggregates, (value, fraction), base)
    return result


def _groups(
    rows: QuerySet,
    q: KpiQuery,
    aggregates: dict,
    figures: tuple[Value, Fraction],
    base: dict[str, Any],
) -> list[Group]:
    value, fraction = figures
    if q.dimension == "owner":
        fields = ("owner_id", "owner__username", "owner__first_name", "owner__last_name")
        key, label, param = "owner_id", owner_label, "owner_id"
    else:
        fields = ("pipeline_id", "pipeline__name")
        key, label, param = "pipeline_id", (lambda row: row["pipeline__name"]), "pipeline_id"
    grouped = rows.values(*fields).annotate(**aggregates).order_by(fields[1])
    return [
        Group(
            key=str(row[key] or ""),
            label=label(row),
            value=value(row),
            numerator=fraction(row)[0],
            denominator=fraction(row)[1],
            drill_url=drill("opportunity_list", **{**base, param: row[key]}) if row[key] else None,
        )
        for row in grouped
    ]


@metric(
    name="opportunity_win_rate",
    label="Win rate",
    area=Area.SALES,
    unit=Unit.PERCENT,
    description="The share of the opportunities closed in the period that were won.",
    formula="won ÷ (won + lost) * 100, opportunities closed in the period",
    period="Opportunities with closed_at in the period (UTC days).",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("owner", "pipeline"),
    sources=CLOSED_SOURCES,
    chart="bar",
    example="3 won and 1 lost closed in March: opportunity_win_rate = 3 ÷ 4 = 75.00 %.",
)
def opportunity_win_rate(actor: User, q: KpiQuery) -> Result:
    return _closed_metric(
        actor,
        q,
        lambda row: percent(row["won"], row["won"] + row["lost"]),
        lambda row: (row["won"], row["won"] + row["lost"]),
        "No opportunity was won or lost in the period.",
        amounts=False,
    )


@metric(
    name="avg_deal_size",
    label="Average deal size",
    area=Area.SALES,
    unit=Unit.MONEY,
    description="The average amount of the opportunities won in the period.",
    formula="Σ amount * exchange rate (won in the period) ÷ number won in the period",
    period="Opportunities won with closed_at in the period (UTC days).",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("owner", "pipeline"),
    sources=CLOSED_SOURCES,
    chart="line",
    example="Won deals of 1,000 and 3,000 EUR in March: avg_deal_size = 2,000.00 EUR.",
)
def avg_deal_size(actor: User, q: KpiQuery) -> Result:
    return _closed_metric(
        actor,
        q,
        lambda row: quotient(row["won_amount"], row["won"]),
        lambda row: (money(row["won_amount"]), row["won"]),
        "No opportunity was won in the period.",
        amounts=True,
    )


@metric(
    name="sales_cycle_length",
    label="Sales cycle length",
    area=Area.SALES,
    unit=Unit.DAYS,
    description="How long the opportunities won in the period took from creation to close.",
    formula="avg(closed_at - created_at), opportunities won in the period, in days",
    period="Opportunities won with closed_at in the period (UTC days).",
    filters=OPPORTUNITY_FILTERS,
    dimensions=("owner", "pipeline"),
    sources=CLOSED_SOURCES,
    higher_is_better=False,
    chart="line",
    example="Won after 10 and 20 days: sales_cycle_length = 15.00 d.",
)
def sales_cycle_length(actor: User, q: KpiQuery) -> Result:
    return _closed_metric(
        actor,
        q,
        lambda row: to_days(row["cycle"]),
        lambda row: (None, row["won"]),
        "No opportunity was won in the period.",
        amounts=False,
    )


def _onboardings(actor: User, q: KpiQuery) -> QuerySet[Onboarding]:
    """Onboardings of accounts the actor may read (as the onboarding list), started in the
    period; owner and team are the account's."""
    accounts = access.restrict(Account.objects.all(), actor).values("pk")
    rows = scoped(
        actor,
        Onboarding.objects.filter(account__in=accounts),
        q,
        owner="account__owner_id",
        team="account__team_id",
        restrict=False,
    )
    return rows.filter(in_period("started_at", q))


ONBOARDING_AGGREGATES = {
    "started": Count("id"),
    "completed": Count("id", filter=Q(completed_at__isnull=False)),
    "duration": Avg(
        ExpressionWrapper(F("completed_at") - F("started_at"), output_field=DurationField()),
        filter=Q(completed_at__isnull=False),
    ),
}


@metric(
    name="onboarding_completion_rate",
    label="Onboarding completion",
    area=Area.SALES,
    unit=Unit.PERCENT,
    description="The share of the onboardings started in the period that are completed.",
    formula="completed ÷ started * 100, onboardings started in the period",
    period="Onboardings with started_at in the period (UTC days); completed at any time since.",
    filters=frozenset({"team", "owner"}),
    sources=("pipeline.Onboarding", "contacts.Account"),
    chart="gauge",
    example="4 onboardings started in March, 3 completed (after 5, 7 and 9 days): 75.00 %, "
    "average 7.00 days to complete.",
)
def onboarding_completion_rate(actor: User, q: KpiQuery) -> Result:
    rows = _onboardings(actor, q)
    totals = rows.aggregate(**ONBOARDING_AGGREGATES)
    value = percent(totals["completed"], totals["started"])
    result = Result(
        value=value,
        no_data=None if value is not None else "No onboarding started in the period.",
        numerator=totals["completed"],
        denominator=totals["started"],
        extra={"avg_days_to_complete": to_days(totals["duration"])},
    )
    if q.grain:
        grouped = (
            rows.annotate(period=bucket("started_at", q.grain))
            .values("period")
            .annotate(**ONBOARDING_AGGREGATES)
            .order_by()
        )
        found = {row["period"]: percent(row["completed"], row["started"]) for row in grouped}
        result.series = series(q, found, empty=None)
    return result
