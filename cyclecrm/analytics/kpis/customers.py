"""Who is a customer, and since when: shared by the acquisition cost, churn, retention and
lifetime-value metrics so they all count the same people.

A customer is a contact with at least one paid or fulfilled order (as the churn model counts
them, docs/intelligence/lead-scoring-and-churn.md); they became one at their first such order.
Orders are scoped to what the actor may read.
"""

import datetime as dt

from django.db.models import ExpressionWrapper, F, Min, QuerySet
from django.db.models.functions import TruncDate

from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import scoped
from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.identity.models import User
from cyclecrm.pipeline.currency import AMOUNT_FIELD, rate_expression

PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
ORDER_SOURCES = ("catalog.Order",)


def purchases(actor: User, q: KpiQuery) -> QuerySet[Order]:
    """Paid or fulfilled orders with a contact the actor may read (any date), dashboard filters
    applied (owner and team of the order; segment of its contact)."""
    orders = scoped(actor, Order.objects.all(), q, contact="contact")
    return orders.filter(status__in=PURCHASE_STATUSES, contact__isnull=False)


def first_purchases(actor: User, q: KpiQuery) -> QuerySet:
    """One row per customer: `contact` and `first` (the time of their first purchase)."""
    return purchases(actor, q).values("contact").annotate(first=Min("ordered_at")).order_by()


def new_customers(actor: User, q: KpiQuery) -> QuerySet:
    """Customers whose first purchase falls in the period (rows of `first_purchases`)."""
    return first_purchases(actor, q).filter(first__gte=q.since, first__lt=q.until)


def with_base_total(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate `base_total`: the order total in the base currency at the rate of the order's
    day (NULL when that currency has no rate then; such orders are left out of sums)."""
    return orders.annotate(day=TruncDate("ordered_at", tzinfo=dt.UTC)).annotate(
        fx_rate=rate_expression(currency="currency", day="day"),
        base_total=ExpressionWrapper(F("total") * F("fx_rate"), output_field=AMOUNT_FIELD),
    )
