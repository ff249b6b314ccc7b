"""The CRM's order history as the CLV and RFM models read it, aggregated in SQL.

A purchase is an order that is paid or fulfilled and has a contact. Its amount is `total`
converted to the base currency at the rate of the order's day (`pipeline.currency`); orders
in a currency without a rate on that day are left out and counted. Rows are summed per contact
and day in the database and streamed, so memory grows with the number of customer-days, never
with order objects."""

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import Count, ExpressionWrapper, F, Max, Min, QuerySet, Sum
from django.db.models.functions import TruncDate

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.core.db.vendor import upsert_rows
from cyclecrm.intelligence.models import CustomerInsight
from cyclecrm.intelligence.transactions import daily_from_rows
from cyclecrm.pipeline.currency import AMOUNT_FIELD, rate_expression

PURCHASED = (OrderStatus.PAID, OrderStatus.FULFILLED)
CHUNK_SIZE = 5000
HISTORY_FIELDS = [
    "orders_count",
    "purchase_days",
    "revenue",
    "average_order_value",
    "first_order_at",
    "last_order_at",
]


def _purchases() -> QuerySet:
    return (
        Order.objects.filter(status__in=PURCHASED, contact__isnull=False)
        .annotate(day=TruncDate("ordered_at"))
        .annotate(fx_rate=rate_expression(currency="currency", day="day"))
    )


def orders_without_rate() -> int:
    """Purchases left out because their currency has no rate on their day."""
    return _purchases().filter(fx_rate__isnull=True).count()


def _daily_rows() -> Iterator[tuple[int, dt.date, Decimal, int]]:
    base_total = ExpressionWrapper(F("total") * F("fx_rate"), output_field=AMOUNT_FIELD)
    rows = (
        _purchases()
        .filter(fx_rate__isnull=False)
        .values("contact_id", "day")
        .annotate(amount=Sum(base_total, output_field=AMOUNT_FIELD), orders=Count("id"))
        .order_by("contact_id", "day")
        .values_list("contact_id", "day", "amount", "orders")
    )
    for contact_id, day, amount, orders in rows.iterator(chunk_size=CHUNK_SIZE):
        if isinstance(day, str):  # SQLite hands computed dates back as text
            day = dt.date.fromisoformat(day)
        yield contact_id, day, amount, orders


def daily_purchases() -> pd.DataFrame:
    """One row per contact and purchase day (customer, date, amount, orders)."""
    return daily_from_rows(_daily_rows())


def order_moments() -> Iterator[tuple[int, dt.datetime, dt.datetime]]:
    """(contact, first order moment, last order moment) per purchasing contact, by contact."""
    rows = (
        Order.objects.filter(status__in=PURCHASED, contact__isnull=False)
        .values("contact_id")
        .annotate(first=Min("ordered_at"), last=Max("ordered_at"))
        .order_by("contact_id")
        .values_list("contact_id", "first", "last")
    )
    yield from rows.iterator(chunk_size=CHUNK_SIZE)


def money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2)))


def history_values(row: Any, moments: tuple[dt.datetime, dt.datetime]) -> dict[str, Any]:
    """The order-history columns of one customer from their `summarise` row."""
    orders = int(row.orders)
    revenue = float(row.revenue)
    return {
        "orders_count": orders,
        "purchase_days": int(row.purchase_days),
        "revenue": money(revenue),
        "average_order_value": money(revenue / orders) if orders else None,
        "first_order_at": moments[0],
        "last_order_at": moments[1],
    }


def reset_columns(fields: list[str]) -> None:
    """Clear `fields` on every insight row before a job rewrites them, so a contact whose
    purchases were all cancelled since the last run does not keep old figures."""
    defaults = {field: CustomerInsight._meta.get_field(field).get_default() for field in fields}
    CustomerInsight.objects.update(**defaults)


ValuesFor = Callable[[int, Any, tuple[dt.datetime, dt.datetime]], dict[str, Any]]


def write_insights(
    summary: pd.DataFrame,
    values_for: ValuesFor,
    fields: list[str],
    *,
    progress: Callable[..., None],
    start: float = 80.0,
    batch: int = 2000,
) -> int:
    """Upsert one CustomerInsight per row of `summary` (indexed by contact id), writing only
    `fields`, in batches; `values_for(contact_id, row, (first, last order moment))` gives the
    values of one row (a namedtuple of `summary`'s columns)."""
    rows = {row.Index: row for row in summary.itertuples()}
    total, written = len(rows), 0
    pending: list[CustomerInsight] = []
    for contact_id, first, last in order_moments():
        row = rows.get(contact_id)
        if row is None:
            continue
        values = values_for(contact_id, row, (first, last))
        pending.append(CustomerInsight(contact_id=contact_id, **values))
        if len(pending) >= batch:
            written += _flush(pending, fields)
            progress(start + (100 - start) * written / total, f"Scored {written:,} of {total:,}")
    return written + _flush(pending, fields)


def _flush(rows: list[CustomerInsight], fields: list[str]) -> int:
    count = len(rows)
    if rows:
        upsert_rows(
            CustomerInsight, rows, unique_fields=["contact"], update_fields=[*fields, "updated_at"]
        )
        rows.clear()
    return count
