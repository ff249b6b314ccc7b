"""Importing past orders: one row is one order with one line.

An order's totals are the sum of its priced lines (`catalog.pricing`), never typed in, so every
imported order gets a line: the product (by `product_sku`), quantity, unit price (default: the
product's price), discount and tax (default: the product's) of the row, or, for a row that only
gives a `total`, one line of quantity 1 at that price without tax. A line without a product or
a description is described "Imported order". A `total`
given beside line values must equal what the line adds up to, else the row is rejected naming
the difference. Orders with several lines are entered through the API (`POST /api/v1/orders`).

The other rules of `catalog.services.orders` hold: the number is unique (allocated as
O-<year>-<n> when the row has none) and is the duplicate key after the external id; an order
cannot be placed in the future; the currency is an ISO-4217 code (default: the installation's);
the contact is found by `contact_external_id`, then `contact_email`, the account by
`account_external_id`, then `account_name`, else it is the contact's account. On an update the
status only moves along the allowed transitions, and the line, totals and currency change only
while the order is pending.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.catalog.models import Order, OrderLine, OrderStatus, Product
from cyclecrm.catalog.numbering import next_number
from cyclecrm.catalog.services.common import currency_code
from cyclecrm.catalog.services.lines import PricingContext, line_rows, lines_prepare
from cyclecrm.catalog.services.orders import FUTURE_TOLERANCE, TRANSITIONS
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey
from cyclecrm.dataquality.imports.targets.lookups import link_customer
from cyclecrm.identity import access

LINE_FIELDS = (
    "product_id",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_percent",
)
TOTAL_ONLY_LINE = "Imported order"
PRICED = ("line", "subtotal", "tax_total", "total", "currency")
# The line to store with the order, kept on the instance for `write_created` / `write_updated`.
_LINE = "_import_line"


class OrderTarget(ImportTarget):
    record_type = "order"
    label = "Orders"
    model = Order
    columns = (
        Column(
            "external_id", "External ID", "text", synonyms=("id", "order id", "record id"),
            max_length=100,
        ),
        Column(
            "number", "Order number", "text",
            synonyms=("order number", "order no", "invoice number"), max_length=30,
        ),
        Column(
            "ordered_at", "Ordered at", "datetime",
            synonyms=("date", "order date", "purchase date", "created"),
        ),
        Column(
            "status", "Status", "choice", synonyms=("order status",),
            choices=tuple(OrderStatus.choices),
        ),
        Column("currency", "Currency", "text", max_length=3),
        Column(
            "contact_external_id", "Contact external ID", "lookup",
            synonyms=("contact id", "customer id", "person id"),
        ),
        Column(
            "contact_email", "Contact e-mail", "lookup",
            synonyms=("email", "customer email", "contact email", "e-mail"),
        ),
        Column(
            "account_external_id", "Account external ID", "lookup",
            synonyms=("account id", "company id"),
        ),
        Column(
            "account_name", "Account name", "lookup",
            synonyms=("account", "company", "company name", "customer"),
        ),
        Column("product_sku", "Product SKU", "lookup", synonyms=("sku", "product code", "item")),
        Column(
            "description", "Line description", "text", synonyms=("product", "item description"),
            max_length=300,
        ),
        Column("quantity", "Quantity", "decimal", synonyms=("qty", "units")),
        Column("unit_price", "Unit price", "decimal", synonyms=("price",)),
        Column("discount_percent", "Discount (%)", "decimal", synonyms=("discount",)),
        Column("tax_percent", "Tax (%)", "decimal", synonyms=("tax", "vat", "tax rate")),
        Column("total", "Total", "decimal", synonyms=("order total", "amount", "grand total")),
        Column("owner", "Owner", "lookup", synonyms=("sales rep",)),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )  # fmt: skip
    match_keys = (
        MatchKey("external_id", ("external_id",)),
        MatchKey("number", ("number",)),
    )

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        link_customer(rows, actor=actor)
        _link_products(rows, actor)
        accounts = dict(
            Contact.objects.filter(
                pk__in={r.values["contact_id"] for r in rows if r.values.get("contact_id")}
            ).values_list("pk", "account_id")
        )
        now = timezone.now()
        for row in rows:
            if not row.ok:
                continue
            if row.values.get("contact_id") and not row.values.get("account_id"):
                row.values["account_id"] = accounts.get(row.values["contact_id"])
            _check_header(row, now)
            if row.ok:
                _price(row, actor)

    def build(self, values: dict[str, Any], *, actor: Any) -> models.Model:
        values = {**values}
        line = values.pop("line")
        if not values.get("number"):
            values["number"] = next_number("order", taken=_number_taken)
        order = super().build(values, actor=actor)
        setattr(order, _LINE, line)
        return order

    def apply(self, instance: models.Model, values: dict[str, Any]) -> list[str]:
        values = {**values}
        status = values.pop("status", None)
        line = values.pop("line", None)
        if instance.status != OrderStatus.PENDING:
            for name in PRICED:
                values.pop(name, None)
        elif line is not None and line != _stored_line(instance):
            setattr(instance, _LINE, line)
        changed = super().apply(instance, values)
        if status and status != instance.status and status in TRANSITIONS[instance.status]:
            instance.status = status
            changed.append("status")
        return changed

    def write_created(self, instances: list[models.Model]) -> None:
        super().write_created(instances)
        OrderLine.objects.bulk_create(
            [OrderLine(order_id=order.pk, **getattr(order, _LINE)) for order in instances]
        )

    def write_updated(self, instances: list[models.Model], fields: Any) -> None:
        super().write_updated(instances, fields)
        relined = [order for order in instances if hasattr(order, _LINE)]
        if relined:
            OrderLine.objects.filter(order__in=[order.pk for order in relined]).delete()
            OrderLine.objects.bulk_create(
                [OrderLine(order_id=order.pk, **getattr(order, _LINE)) for order in relined]
            )


def _number_taken(number: str) -> bool:
    return Order.objects.filter(number=number).exists()


def _link_products(rows: list[CleanRow], actor: Any) -> None:
    """`product_sku` -> `product_id`: one query per chunk, among the products the user may see."""
    skus = {row.values["product_sku"] for row in rows if row.ok and row.values.get("product_sku")}
    found = dict(
        access.restrict(Product.objects.filter(sku__in=skus), actor).values_list("sku", "pk")
    )
    for row in rows:
        sku = row.values.pop("product_sku", "")
        if not sku or not row.ok:
            continue
        if sku in found:
            row.values["product_id"] = found[sku]
        else:
            row.reject("product_sku", sku, "No product you may see has this SKU.")


def _check_header(row: CleanRow, now: dt.datetime) -> None:
    values = row.values
    if values.get("ordered_at") and values["ordered_at"] > now + FUTURE_TOLERANCE:
        row.reject("ordered_at", values["ordered_at"], "An order cannot be placed in the future.")
    values.setdefault("ordered_at", now)
    try:
        values["currency"] = currency_code(
            values.get("currency") or settings.CYCLECRM["DEFAULT_CURRENCY"]
        )
    except ValueError as exc:
        row.reject("currency", values.get("currency"), str(exc))


def _price(row: CleanRow, actor: Any) -> None:
    """Price the row's line by the catalog's rule; store the line and the totals in the values."""
    values = row.values
    raw = {name: values.pop(name) for name in LINE_FIELDS if values.get(name) not in (None, "")}
    given_total = values.pop("total", None)
    if not raw and given_total is None:
        row.reject("total", "", "Give a total, or a product or line values to price the order.")
        return
    if set(raw) <= {"description"} and given_total is not None:
        raw = {"description": raw.get("description") or TOTAL_ONLY_LINE, "quantity": 1}
        raw["unit_price"] = given_total
    raw.setdefault("quantity", Decimal(1))
    if "product_id" not in raw:
        raw.setdefault("description", TOTAL_ONLY_LINE)
    if "product_id" in raw:
        raw["product"] = raw.pop("product_id")
    errors = FieldErrors()
    priced = lines_prepare(
        actor=actor,
        raw_lines=[raw],
        context=PricingContext(currency=values["currency"], allow_inactive=True),
        errors=errors,
    )
    try:
        errors.raise_if_any()
    except ValidationFailed as exc:
        for name, reasons in exc.fields.items():
            column = name.removeprefix("lines.0.")
            for reason in reasons:
                row.reject(column, raw.get(column, ""), reason)
        return
    assert priced is not None
    totals = priced.total_fields()
    if given_total is not None and given_total != totals["total"]:
        row.reject(
            "total", given_total, f"The line adds up to {totals['total']}, not {given_total}."
        )
        return
    (line,) = line_rows(OrderLine, priced)
    values["line"] = {
        "product_id": line.product.pk if line.product else None,
        **{name: getattr(line, name) for name in LINE_FIELDS[1:]},
        "net": line.net,
        "tax": line.tax,
    }
    values.update(totals)


def _stored_line(order: Order) -> dict[str, Any] | None:
    line = order.lines.first()
    if line is None:
        return None
    return {
        "product_id": line.product_id,
        **{name: getattr(line, name) for name in LINE_FIELDS[1:]},
        "net": line.net,
        "tax": line.tax,
    }


TARGET = OrderTarget()
