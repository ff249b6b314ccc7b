"""Retention and value metrics on revenue, order value, loyalty points and referrals
(docs/kpis.md#retention-and-value); imported by `retention`.

Repeat purchases, points redemption and referral conversion reuse the loyalty app's
definitions (`loyalty.figures.buyer_totals`, `points_totals`, `referral_counts`), so the
program pages and the KPIs cannot disagree.
"""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse

from cyclecrm.analytics.kpis.customers import ORDER_SOURCES, purchases, with_base_total
from cyclecrm.analytics.kpis.definitions import Area, Group, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.retention import purchase_drill
from cyclecrm.analytics.kpis.scope import (
    bucket,
    drill,
    in_period,
    money,
    percent,
    quotient,
    segment_contact_ids,
    series,
)
from cyclecrm.identity.models import User
from cyclecrm.loyalty.access import restrict_to_contacts
from cyclecrm.loyalty.figures import buyer_totals, points_totals
from cyclecrm.loyalty.models import PointsEntry, Referral
from cyclecrm.loyalty.referral_selectors import referral_counts
from cyclecrm.segments.selectors import segment_list, segment_members

MAX_SEGMENTS = 12
NO_PURCHASES = "No paid or fulfilled order was placed in the period."


def period_purchases(actor: User, q: KpiQuery) -> QuerySet:
    """Purchases placed in the period with `base_total` (base currency) annotated."""
    return with_base_total(purchases(actor, q).filter(in_period("ordered_at", q)))


def _sums(orders: QuerySet, **named: Q) -> dict[str, Decimal]:
    """Base-currency totals of `orders`, one sum per named condition, in one query."""
    totals = orders.aggregate(
        **{key: Sum("base_total", filter=condition) for key, condition in named.items()}
    )
    return {key: money(value) for key, value in totals.items()}


@metric(
    name="revenue",
    label="Revenue",
    area=Area.RETENTION,
    unit=Unit.MONEY,
    description="Paid and fulfilled orders in the period, in the base currency.",
    formula="sum(order total * rate of the order's day) over purchases in the period",
    period="Purchases placed in the period (UTC days).",
    filters=frozenset({"team", "owner", "segment"}),
    dimensions=("segment", "rfm_group"),
    sources=(*ORDER_SOURCES, "segments.Segment", "intelligence.CustomerInsight"),
    chart="hbar",
    example="Orders of 100.00 EUR and 50.00 EUR in March: revenue = 150.00.",
)
def revenue(actor: User, q: KpiQuery) -> Result:
    orders = period_purchases(actor, q)
    url = purchase_drill(q, q.since, q.until)
    if q.grain:
        rows = (
            orders.annotate(period=bucket("ordered_at", q.grain))
            .values("period")
            .annotate(total=Sum("base_total"))
            .order_by()
        )
        points = series(q, {row["period"]: money(row["total"]) for row in rows}, money(0))
        return Result(value=money(sum(p.value for p in points)), series=points, drill_url=url)
    if q.dimension == "segment":
        return _by_segment(actor, q, orders, url)
    if q.dimension == "rfm_group":
        rows = (
            orders.values("contact__insight__rfm_group")
            .annotate(total=Sum("base_total"))
            .order_by("-total")
        )
        groups = [
            Group(
                key=row["contact__insight__rfm_group"] or "",
                label=row["contact__insight__rfm_group"] or "No RFM group",
                value=money(row["total"]),
            )
            for row in rows
        ]
        return Result(value=money(sum(g.value for g in groups)), groups=groups, drill_url=url)
    return Result(value=_sums(orders, total=Q())["total"], drill_url=url)


def _by_segment(actor: User, q: KpiQuery, orders: QuerySet, url: str) -> Result:
    """One aggregate with a filtered sum per segment: the actor's 12 most recently updated
    visible segments (a segment in the dashboard filter is already applied to `orders`)."""
    segments = list(segment_list(actor=actor).order_by("-updated_at", "-id")[:MAX_SEGMENTS])
    named = {
        f"s{segment.pk}": Q(
            contact__in=segment_members(actor=actor, segment=segment).order_by().values("pk")
        )
        for segment in segments
    }
    totals = _sums(orders, total=Q(), **named)
    groups = sorted(
        (
            Group(
                key=str(segment.pk),
                label=segment.name,
                value=totals[f"s{segment.pk}"],
                drill_url=reverse("segment_detail", args=[segment.pk]),
            )
            for segment in segments
        ),
        key=lambda group: (-group.value, group.label),
    )
    return Result(value=totals["total"], groups=groups, drill_url=url, extra={"cap": MAX_SEGMENTS})


@metric(
    name="average_order_value",
    label="Average order value",
    area=Area.RETENTION,
    unit=Unit.MONEY,
    description="Revenue per paid or fulfilled order in the period.",
    formula="revenue ÷ count(purchases in the period with a base-currency rate)",
    period="Purchases placed in the period (UTC days).",
    filters=frozenset({"team", "owner", "segment"}),
    sources=ORDER_SOURCES,
    chart="line",
    example="Orders of 100.00, 50.00 and 30.00 in March: average_order_value = 60.00.",
)
def average_order_value(actor: User, q: KpiQuery) -> Result:
    orders = period_purchases(actor, q).filter(base_total__isnull=False)
    url = purchase_drill(q, q.since, q.until)
    points = None
    if q.grain:
        rows = (
            orders.annotate(period=bucket("ordered_at", q.grain))
            .values("period")
            .annotate(total=Sum("base_total"), n=Count("id"))
            .order_by()
        )
        points = series(q, {r["period"]: quotient(r["total"], r["n"]) for r in rows}, None)
    totals = orders.aggregate(total=Sum("base_total"), n=Count("id"))
    if not totals["n"]:
        return Result(value=None, no_data=NO_PURCHASES, series=points, drill_url=url)
    total = money(totals["total"])
    return Result(
        value=quotient(total, totals["n"]),
        numerator=total,
        denominator=totals["n"],
        series=points,
        drill_url=url,
    )


@metric(
    name="repeat_purchase_rate",
    label="Repeat purchase rate",
    area=Area.RETENTION,
    unit=Unit.PERCENT,
    description="Share of the period's buyers who bought two or more times in it (the loyalty "
    "program figures' definition).",
    formula="buyers with ≥ 2 purchases in the period ÷ buyers in the period * 100",
    period="Purchases placed in the period (UTC days).",
    filters=frozenset({"team", "owner", "segment"}),
    grains=False,
    sources=ORDER_SOURCES,
    chart="number",
    example="8 customers bought in March, 2 of them twice: repeat_purchase_rate = 25.00 %.",
)
def repeat_purchase_rate(actor: User, q: KpiQuery) -> Result:
    totals = buyer_totals(purchases(actor, q).filter(in_period("ordered_at", q)))
    buyers, repeat = totals["buyers"] or 0, totals["repeat"] or 0
    url = purchase_drill(q, q.since, q.until)
    if not buyers:
        return Result(value=None, no_data=NO_PURCHASES, denominator=0, drill_url=url)
    return Result(
        value=percent(repeat, buyers), numerator=repeat, denominator=buyers, drill_url=url
    )


def _points_entries(actor: User, q: KpiQuery) -> QuerySet:
    entries = PointsEntry.objects.filter(in_period("created_at", q))
    entries = restrict_to_contacts(entries, actor, prefix="member__contact")
    if q.segment is not None:
        entries = entries.filter(member__contact__in=segment_contact_ids(actor, q.segment))
    return entries


@metric(
    name="loyalty_redemption_rate",
    label="Loyalty redemption rate",
    area=Area.RETENTION,
    unit=Unit.PERCENT,
    description="Points redeemed (net of refunds) against points issued in the period, over "
    "the members the actor may read.",
    formula="points redeemed ÷ points issued * 100 (loyalty figures' definition)",
    period="Points entries created in the period (UTC days).",
    filters=frozenset({"segment"}),
    grains=False,
    sources=("loyalty.PointsEntry",),
    chart="gauge",
    example="1,000 points earned and 250 redeemed in March: loyalty_redemption_rate = 25.00 %.",
)
def loyalty_redemption_rate(actor: User, q: KpiQuery) -> Result:
    totals = points_totals(_points_entries(actor, q))
    extra = {"expired": totals["expired"]}
    if not totals["issued"]:
        reason = "No loyalty points were issued in the period."
        return Result(value=None, no_data=reason, denominator=0, extra=extra)
    return Result(
        value=percent(totals["redeemed"], totals["issued"]),
        numerator=totals["redeemed"],
        denominator=totals["issued"],
        extra=extra,
    )


def _referrals(actor: User, q: KpiQuery) -> QuerySet:
    referrals = restrict_to_contacts(Referral.objects.all(), actor, prefix="referrer")
    referrals = referrals.filter(in_period("created_at", q))
    if q.segment is not None:
        referrals = referrals.filter(referrer__in=segment_contact_ids(actor, q.segment))
    return referrals


@metric(
    name="referrals",
    label="Referrals",
    area=Area.RETENTION,
    unit=Unit.COUNT,
    description="Referrals made in the period by contacts the actor may read.",
    formula="count(referrals created in the period)",
    period="Referrals created in the period (UTC days).",
    filters=frozenset({"segment"}),
    sources=("loyalty.Referral",),
    chart="line",
    example="5 referrals made in March: referrals = 5.",
)
def referrals(actor: User, q: KpiQuery) -> Result:
    made = _referrals(actor, q)
    url = drill("referral_list")
    if q.grain:
        rows = (
            made.annotate(period=bucket("created_at", q.grain))
            .values("period")
            .annotate(n=Count("id"))
            .order_by()
        )
        points = series(q, {row["period"]: row["n"] for row in rows})
        return Result(value=sum(p.value or 0 for p in points), series=points, drill_url=url)
    return Result(value=made.order_by().count(), drill_url=url)


@metric(
    name="referral_conversion_rate",
    label="Referral conversion rate",
    area=Area.RETENTION,
    unit=Unit.PERCENT,
    description="Referrals made in the period that converted, refused ones left out (the "
    "referral statistics' definition).",
    formula="converted ÷ (referrals made - refused) * 100",
    period="Referrals created in the period (UTC days), whenever they converted.",
    filters=frozenset({"segment"}),
    grains=False,
    sources=("loyalty.Referral",),
    chart="number",
    example="5 referrals in March, 1 refused, 2 converted: referral_conversion_rate = 50.00 %.",
)
def referral_conversion_rate(actor: User, q: KpiQuery) -> Result:
    counts = referral_counts(_referrals(actor, q))
    eligible = counts["sent"] - counts["refused"]
    url = drill("referral_list", status="converted")
    extra = {"refused": counts["refused"]}
    if not eligible:
        reason = "No referral (other than refused ones) was made in the period."
        return Result(value=None, no_data=reason, denominator=0, extra=extra, drill_url=url)
    return Result(
        value=percent(counts["converted"], eligible),
        numerator=counts["converted"],
        denominator=eligible,
        extra=extra,
        drill_url=url,
    )
