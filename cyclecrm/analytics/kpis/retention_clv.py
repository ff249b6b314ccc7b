"""Lifetime value metrics: historical and predicted CLTV and CLTV:CAC
(docs/kpis.md#retention-and-value); imported by `retention`."""

from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from cyclecrm.analytics.kpis.customers import ORDER_SOURCES, purchases, with_base_total
from cyclecrm.analytics.kpis.definitions import Area, Result, Unit, metric, metric_get
from cyclecrm.analytics.kpis.engine import kpi_compute
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.retention import COST_SOURCES, purchase_drill
from cyclecrm.analytics.kpis.scope import money, quotient
from cyclecrm.identity.models import User
from cyclecrm.intelligence.models import CustomerInsight, ModelKind, ModelRun, RunStatus


def period_buyers(actor: User, q: KpiQuery) -> QuerySet:
    """Ids of the contacts with a purchase in the period (a subquery, never loaded)."""
    return (
        purchases(actor, q)
        .filter(ordered_at__gte=q.since, ordered_at__lt=q.until)
        .order_by()
        .values("contact")
    )


@metric(
    name="cltv",
    label="Customer lifetime value (historical)",
    area=Area.RETENTION,
    unit=Unit.MONEY,
    description="Average revenue per customer over their whole history, for the customers "
    "who bought in the period.",
    formula="sum(base-currency totals of their purchases up to the period's end) ÷ customers "
    "with a purchase in the period",
    period="Customers with a purchase in the period; their purchases up to its end.",
    filters=frozenset({"team", "owner", "segment"}),
    grains=False,
    sources=ORDER_SOURCES,
    chart="number",
    example="Two customers bought in March; over their history they spent 300.00 and 100.00: "
    "cltv = 200.00.",
)
def cltv(actor: User, q: KpiQuery) -> Result:
    orders = purchases(actor, q).filter(contact__in=period_buyers(actor, q), ordered_at__lt=q.until)
    totals = with_base_total(orders).aggregate(
        revenue=Coalesce(Sum("base_total"), Decimal(0)), customers=Count("contact", distinct=True)
    )
    url = purchase_drill(q, q.since, q.until)
    if not totals["customers"]:
        return Result(value=None, no_data="No customer bought in the period.", drill_url=url)
    revenue = money(totals["revenue"])
    return Result(
        value=quotient(revenue, totals["customers"]),
        numerator=revenue,
        denominator=totals["customers"],
        drill_url=url,
    )


@metric(
    name="predicted_cltv",
    label="Predicted lifetime value",
    area=Area.RETENTION,
    unit=Unit.MONEY,
    description="Average future value the CLV model predicts for the customers who bought in "
    "the period.",
    formula="avg(CustomerInsight.predicted_clv of customers with a purchase in the period)",
    period="Customers with a purchase in the period; the latest CLV model run.",
    filters=frozenset({"team", "owner", "segment"}),
    grains=False,
    sources=(*ORDER_SOURCES, "intelligence.CustomerInsight", "intelligence.ModelRun"),
    chart="number",
    example="Predicted CLV 120.00 and 80.00 for March's two buyers: predicted_cltv = 100.00.",
)
def predicted_cltv(actor: User, q: KpiQuery) -> Result:
    ran = ModelRun.objects.filter(kind=ModelKind.CLV, status=RunStatus.SUCCEEDED).exists()
    if not ran:
        return Result(value=None, no_data="The lifetime value model has not run yet.")
    insights = CustomerInsight.objects.filter(
        contact__in=period_buyers(actor, q), predicted_clv__isnull=False
    )
    totals = insights.aggregate(total=Sum("predicted_clv"), customers=Count("contact"))
    if not totals["customers"]:
        reason = "No customer who bought in the period has a predicted value."
        return Result(value=None, no_data=reason)
    total = money(totals["total"])
    return Result(
        value=quotient(total, totals["customers"]),
        numerator=total,
        denominator=totals["customers"],
    )


@metric(
    name="cltv_to_cac",
    label="CLTV : CAC",
    area=Area.RETENTION,
    unit=Unit.RATIO,
    description="Historical lifetime value per customer against the cost of acquiring one.",
    formula="cltv ÷ cac",
    period="As cltv and cac over the same period.",
    filters=frozenset({"team"}),
    grains=False,
    sources=(*ORDER_SOURCES, *COST_SOURCES),
    chart="number",
    example="cltv 900.00, cac 300.00: cltv_to_cac = 3.00.",
)
def cltv_to_cac(actor: User, q: KpiQuery) -> Result:
    # Through the cache: the pages showing this ratio also show cltv and cac for the same query.
    value = kpi_compute(actor=actor, metric=metric_get("cltv"), query=q)
    cost = kpi_compute(actor=actor, metric=metric_get("cac"), query=q)
    extra = {"cltv": value.value, "cac": cost.value}
    if value.value is None or cost.value is None:
        return Result(value=None, no_data=value.no_data or cost.no_data, extra=extra)
    if not cost.value:
        reason = "Nothing was spent on acquisition in the period."
        return Result(value=None, no_data=reason, extra=extra)
    return Result(
        value=quotient(value.value, cost.value),
        numerator=value.value,
        denominator=cost.value,
        extra=extra,
    )
