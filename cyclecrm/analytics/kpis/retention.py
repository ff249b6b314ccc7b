"""Retention metrics: new customers, acquisition cost, churn and cohorts
(docs/kpis.md#retention-and-value). Lifetime value is in `retention_clv`; revenue, order value,
loyalty and referral metrics in `retention_value`; both are imported at the end so they
register with this area.

Customers are counted as `kpis.customers` defines them (paid or fulfilled orders of a contact),
scoped to the orders the actor may read.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum

from cyclecrm.analytics.kpis.customers import (
    ORDER_SOURCES,
    new_customers,
    purchases,
)
from cyclecrm.analytics.kpis.definitions import Area, Group, Point, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import (
    as_date,
    bucket,
    drill,
    drill_filters,
    money,
    percent,
    periods,
    quotient,
    series,
)
from cyclecrm.analytics.models import SalesCost
from cyclecrm.campaigns.models import Campaign, CampaignCost
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.intelligence.models import (
    CHURN_WINDOW_DAYS,
)

CHURN_WINDOW = dt.timedelta(days=CHURN_WINDOW_DAYS)
MAX_COHORTS = 12
MAX_CHURN_BUCKETS = 36
Cell = tuple[dt.date, dt.date]
COST_SOURCES = ("campaigns.CampaignCost", "campaigns.Campaign", "analytics.SalesCost")


def purchase_drill(q: KpiQuery, since: dt.datetime, until: dt.datetime, **params) -> str:
    """The order list showing purchases placed in [since, until), dashboard filters applied."""
    return drill(
        "order_list",
        purchased="true",
        ordered_after=since.isoformat(),
        ordered_before=until.isoformat(),
        **drill_filters(q),
        **params,
    )


def first_orders(actor: User, q: KpiQuery) -> QuerySet:
    """Purchases in the period with no earlier purchase of their contact: first purchases."""
    earlier = purchases(actor, q).filter(
        contact=OuterRef("contact"), ordered_at__lt=OuterRef("ordered_at")
    )
    return (
        purchases(actor, q)
        .filter(ordered_at__gte=q.since, ordered_at__lt=q.until)
        .filter(~Exists(earlier))
    )


@metric(
    name="new_customers",
    label="New customers",
    area=Area.RETENTION,
    unit=Unit.COUNT,
    description="Contacts whose first paid or fulfilled order falls in the period.",
    formula="count(contacts whose first purchase is in the period)",
    period="First purchases placed in the period (UTC days).",
    filters=frozenset({"team", "owner", "segment"}),
    sources=ORDER_SOURCES,
    chart="line",
    example="3 contacts bought for the first time in March: new_customers = 3.",
)
def new_customers_metric(actor: User, q: KpiQuery) -> Result:
    url = purchase_drill(q, q.since, q.until)
    if q.grain:
        rows = (
            first_orders(actor, q)
            .annotate(period=bucket("ordered_at", q.grain))
            .values("period")
            .annotate(n=Count("contact", distinct=True))
            .order_by()
        )
        points = series(q, {row["period"]: row["n"] for row in rows})
        return Result(value=sum(p.value or 0 for p in points), series=points, drill_url=url)
    count = new_customers(actor, q).aggregate(n=Count("contact"))["n"]
    return Result(value=count, drill_url=url)


def marketing_cost(actor: User, q: KpiQuery) -> Decimal | None:
    """Campaign cost entries dated in the period, of campaigns the actor may read (None when
    the actor may read no campaign)."""
    if access.level(actor, "campaign", Action.READ) == Level.NONE:
        return None
    campaigns = access.restrict(Campaign.objects.all(), actor)
    if q.team is not None:
        campaigns = campaigns.filter(team_id=q.team)
    costs = CampaignCost.objects.filter(
        campaign__in=campaigns.values("pk"), date__gte=q.start, date__lte=q.end
    )
    return money(costs.aggregate(total=Sum("amount"))["total"])


def sales_cost(actor: User, q: KpiQuery) -> Decimal | None:
    """Sales cost entries dated in the period (None when the actor may not read them)."""
    if access.level(actor, "sales_cost", Action.READ) == Level.NONE:
        return None
    costs = access.restrict(SalesCost.objects.all(), actor).filter(
        date__gte=q.start, date__lte=q.end
    )
    if q.team is not None:
        costs = costs.filter(team_id=q.team)
    return money(costs.aggregate(total=Sum("amount"))["total"])


@metric(
    name="cac",
    label="Customer acquisition cost",
    area=Area.RETENTION,
    unit=Unit.MONEY,
    description="Marketing and sales cost in the period per new customer.",
    formula="(campaign costs + sales costs dated in the period) ÷ new_customers",
    period="Costs dated in the period; customers whose first purchase is in the period.",
    filters=frozenset({"team"}),
    grains=False,
    sources=(*ORDER_SOURCES, *COST_SOURCES),
    higher_is_better=False,
    chart="number",
    example="Campaign costs 900.00 + sales costs 300.00, 4 new customers: cac = 300.00.",
)
def cac(actor: User, q: KpiQuery) -> Result:
    marketing, sales = marketing_cost(actor, q), sales_cost(actor, q)
    customers = new_customers(actor, q).aggregate(n=Count("contact"))["n"]
    extra = {"marketing_cost": marketing, "sales_cost": sales, "new_customers": customers}
    url = purchase_drill(q, q.since, q.until)
    if marketing is None and sales is None:
        reason = "You may read neither campaign costs nor sales costs."
        return Result(value=None, no_data=reason, extra=extra, drill_url=url)
    cost = (marketing or 0) + (sales or 0)
    if not customers:
        reason = "No customer made a first purchase in the period."
        return Result(value=None, no_data=reason, numerator=cost, extra=extra, drill_url=url)
    return Result(
        value=quotient(cost, customers),
        numerator=cost,
        denominator=customers,
        extra=extra,
        drill_url=url,
    )


def churn_counts(actor: User, q: KpiQuery) -> dict[str, int]:
    """Customers active at the period's start and those of them lost during it, in one query.

    Active at start: a purchase in the churn window (180 days) before `since`. Lost: active at
    start, no purchase in the period, and the last purchase before the period more than a
    window before `until`, so their window without a purchase ran out within the period.
    """
    orders = purchases(actor, q).filter(
        ordered_at__gte=q.since - CHURN_WINDOW, ordered_at__lt=q.until
    )
    per_customer = (
        orders.order_by()
        .values("contact")
        .annotate(
            last=Max("ordered_at", filter=Q(ordered_at__lt=q.since)),
            during=Count("id", filter=Q(ordered_at__gte=q.since)),
        )
    )
    totals = per_customer.aggregate(
        active=Count("contact", filter=Q(last__isnull=False)),
        lost=Count("contact", filter=Q(last__lt=q.until - CHURN_WINDOW, during=0)),
    )
    return {"active": totals["active"] or 0, "lost": totals["lost"] or 0}


def _churn_series(actor: User, q: KpiQuery) -> list[Point]:
    """One churn query per bucket (bounded: at most MAX_CHURN_BUCKETS buckets)."""
    starts = periods(q)
    if len(starts) > MAX_CHURN_BUCKETS:
        raise ValidationFailed(
            "The KPI query is not valid.",
            fields={"group_by": [f"churn_rate has at most {MAX_CHURN_BUCKETS} periods."]},
        )
    points = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - dt.timedelta(days=1) if index + 1 < len(starts) else q.end
        part = replace(q, start=max(start, q.start), end=end, group_by=None)
        counts = churn_counts(actor, part)
        points.append(Point(period=start, value=percent(counts["lost"], counts["active"])))
    return points


@metric(
    name="churn_rate",
    label="Churn rate",
    area=Area.RETENTION,
    unit=Unit.PERCENT,
    description="Share of the customers active at the period's start who lapsed during it.",
    formula=(
        "lost ÷ active at start * 100; active: a purchase in the 180 days before the start; "
        "lost: active, no purchase in the period, and 180 days since the last purchase "
        "before the period's end"
    ),
    period="Customers active on the first day; lapses reaching 180 days within the period.",
    filters=frozenset({"team", "owner", "segment"}),
    sources=ORDER_SOURCES,
    higher_is_better=False,
    chart="line",
    example="20 customers active on 1 March, 2 of them reach 180 days without buying in "
    "March: churn_rate = 10.00 %.",
)
def churn_rate(actor: User, q: KpiQuery) -> Result:
    counts = churn_counts(actor, q)
    extra = {"window_days": CHURN_WINDOW_DAYS}
    points = _churn_series(actor, q) if q.grain else None
    if not counts["active"]:
        reason = "No customer was active at the start of the period."
        return Result(value=None, no_data=reason, denominator=0, series=points, extra=extra)
    return Result(
        value=percent(counts["lost"], counts["active"]),
        numerator=counts["lost"],
        denominator=counts["active"],
        series=points,
        extra=extra,
    )


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def cohort_cells(actor: User, q: KpiQuery, first: dt.date, last: dt.date) -> dict[Cell, int]:
    """{(cohort month, purchase month): customers} for customers whose first purchase month is
    in [first, last], over the 12 months from their cohort month.

    A customer with no purchase before `first` first bought at their earliest purchase inside
    the window, so the cohort is the smallest month of their (contact, month) pairs: one
    grouped query over the window's purchases (no per-order subquery for the first purchase),
    folded here; at most one row per customer and month.
    """
    start = _utc(first)
    earlier = purchases(actor, q).filter(contact=OuterRef("contact"), ordered_at__lt=start)
    pairs = (
        purchases(actor, q)
        .filter(ordered_at__gte=start, ordered_at__lt=_utc(_add_months(last, 12)))
        .filter(~Exists(earlier))
        .annotate(month=bucket("ordered_at", "month"))
        .values_list("contact", "month")
        .distinct()
        .order_by()
    )
    months: dict[int, list[dt.date]] = {}
    for contact, month in pairs.iterator(chunk_size=10_000):
        months.setdefault(contact, []).append(as_date(month))
    cells: dict[Cell, int] = {}
    for bought in months.values():
        cohort = min(bought)
        if cohort > last:
            continue
        for month in bought:
            cells[(cohort, month)] = cells.get((cohort, month), 0) + 1
    return cells


@metric(
    name="retention_cohorts",
    label="Retention by monthly cohort",
    area=Area.RETENTION,
    unit=Unit.PERCENT,
    description="Share of each month's new customers who buy again 1 to 11 months later.",
    formula="customers of the cohort with a purchase in month + n ÷ cohort size * 100",
    period="Cohorts: months of first purchase in the period (the latest 12).",
    filters=frozenset({"team", "owner", "segment"}),
    grains=False,
    sources=ORDER_SOURCES,
    chart="heatmap",
    example="10 customers first bought in January, 4 bought again in February: the January "
    "cohort's month 1 cell is 40.00 %.",
)
def retention_cohorts(actor: User, q: KpiQuery) -> Result:
    last = _month_start(q.end)
    first = max(_month_start(q.start), _add_months(last, 1 - MAX_COHORTS))
    cells: dict[tuple[dt.date, int], int] = {}
    for (cohort, month), customers in cohort_cells(actor, q, first, last).items():
        offset = (month.year - cohort.year) * 12 + month.month - cohort.month
        cells[(cohort, offset)] = customers
    cohorts = [c for c in _months(first, last) if cells.get((c, 0))]
    if not cohorts:
        return Result(value=None, no_data="No customer made a first purchase in the period.")
    offsets = list(range(1, MAX_COHORTS))
    matrix = {
        "cohorts": [c.isoformat() for c in cohorts],
        "offsets": offsets,
        "cells": [
            {
                "cohort": c.isoformat(),
                "offset": n,
                "rate": percent(cells.get((c, n), 0), cells[(c, 0)]),
                "customers": cells.get((c, n), 0),
            }
            for c in cohorts
            for n in offsets
            if _add_months(c, n) <= _month_start(dt.datetime.now(dt.UTC).date())
        ],
    }
    groups = [
        Group(
            key=c.isoformat(),
            label=c.strftime("%b %Y"),
            value=cells[(c, 0)],
            drill_url=purchase_drill(q, _utc(c), _utc(_add_months(c, 1))),
        )
        for c in cohorts
    ]
    repeat = sum(cells.get((c, 1), 0) for c in cohorts)
    size = sum(cells[(c, 0)] for c in cohorts)
    return Result(
        value=percent(repeat, size),
        numerator=repeat,
        denominator=size,
        groups=groups,
        extra={"matrix": matrix},
    )


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day = _add_months(day, 1)
    return out


# The other retention modules register their metrics on import (they use the helpers above).
from cyclecrm.analytics.kpis import retention_clv, retention_value  # noqa: E402, F401
