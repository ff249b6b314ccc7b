"""Orders: the customer's purchase history. Created from an accepted quote, in the UI, or by an
integration importing past orders (`ordered_at` in the past, its own `number`, `external_id`).

Status moves: pending → paid → fulfilled; pending → cancelled; paid or fulfilled → refunded.
The lines and the currency change only while an order is pending.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.catalog.errors import OrderNotDeletable, OrderNotPending, OrderStatusConflict
from cyclecrm.catalog.models import Order, OrderLine, OrderStatus, Quote
from cyclecrm.catalog.numbering import next_number
from cyclecrm.catalog.services.common import check_known, currency_code, text
from cyclecrm.catalog.services.lines import (
    PricedLines,
    PricingContext,
    as_id,
    copy_lines,
    line_rows,
    lines_prepare,
)
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import Duplicate, FieldErrors, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.models import Opportunity

ORDER_CREATE_FIELDS = {
    "account", "contact", "opportunity", "currency", "ordered_at", "status", "number", "lines",
    "segment", "owner_id", "team_id", "external_id",
}  # fmt: skip
ORDER_PATCH_FIELDS = ORDER_CREATE_FIELDS - {"status", "number"}
TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.FULFILLED, OrderStatus.REFUNDED},
    OrderStatus.FULFILLED: {OrderStatus.REFUNDED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.REFUNDED: set(),
}
DELETABLE = {OrderStatus.PENDING, OrderStatus.CANCELLED}
# Clocks differ a little: an order "now" from another system may be slightly ahead of ours.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
LINKS = (("account", Account), ("contact", Contact), ("opportunity", Opportunity))


def _links(
    actor: User, data: dict[str, Any], errors: FieldErrors, current: Order | None
) -> dict[str, Any]:
    """The linked records sent, each readable by the actor (else 422 naming it); the account
    defaults to the contact's or the opportunity's, the contact to the opportunity's."""
    found: dict[str, Any] = {}
    for name, model in LINKS:
        if name not in data:
            continue
        raw = data[name]
        if raw in (None, ""):
            found[name] = None
            continue
        pk = as_id(raw)
        row = access.restrict(model.objects.filter(pk=pk), actor).first() if pk else None
        if row is None:
            errors.add(name, f"No {model.record_type} with this id.")
        found[name] = row
    if current is None:
        opportunity = found.get("opportunity")
        if "contact" not in data and opportunity is not None:
            found["contact"] = _readable(actor, opportunity.contact)
        if "account" not in data:
            source = found.get("contact") or opportunity
            found["account"] = _readable(actor, getattr(source, "account", None))
    account = found.get("account", current.account if current else None)
    contact = found.get("contact", current.contact if current else None)
    if (
        account is not None
        and contact is not None
        and contact.account_id
        not in (
            None,
            account.pk,
        )
    ):
        errors.add("contact", "The contact belongs to another account.")
    return found


def _readable(actor: User, record: Any) -> Any:
    """A default link is only taken when the actor may read the record."""
    return record if record is not None and access.can(actor, Action.READ, record) else None


def _ordered_at(value: Any, errors: FieldErrors) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            errors.add("ordered_at", "Enter a date and time in ISO 8601.")
            return None
    if not isinstance(value, dt.datetime):
        errors.add("ordered_at", "Enter a date and time in ISO 8601.")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_TOLERANCE:
        errors.add("ordered_at", "An order cannot be placed in the future.")
    return value


def _header(
    actor: User, data: dict[str, Any], errors: FieldErrors, current: Order | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    links = _links(actor, data, errors, current)
    for name, row in links.items():
        out[f"{name}_id"] = row.pk if row is not None else None
    out["_account"] = links.get("account", current.account if current else None)
    if "currency" in data:
        try:
            out["currency"] = currency_code(data["currency"])
        except ValueError as exc:
            errors.add("currency", str(exc))
    if data.get("ordered_at") is not None:
        out["ordered_at"] = _ordered_at(data["ordered_at"], errors)
    elif "ordered_at" in data:
        errors.add("ordered_at", "Required.")
    if "status" in data:
        if data["status"] not in OrderStatus.values:
            errors.add("status", f"Choose one of: {', '.join(OrderStatus.values)}.")
        out["status"] = data["status"]
    if data.get("number") not in (None, ""):
        out["number"] = text(data["number"])
        if len(out["number"]) > 30:
            errors.add("number", "At most 30 characters.")
    if "external_id" in data:
        out["external_id"] = text(data["external_id"]) or None
    for name in ("owner_id", "team_id"):
        if name in data:
            out[name] = data[name]
    return out


def _context(account: Account | None, currency: str, segment: Any) -> PricingContext:
    return PricingContext(
        currency=currency,
        country=account.billing_country if account is not None else None,
        segment=text(segment) or None,
        allow_inactive=True,
    )


def _currency_ok(data: dict[str, Any], header: dict[str, Any]) -> bool:
    return "currency" not in data or "currency" in header


def order_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Order:
    """An order with at least one line. Without `number`, O-<year>-<n> is allocated; the
    currency defaults to the account's, then the installation's; the status to pending."""
    errors = FieldErrors()
    check_known(data, ORDER_CREATE_FIELDS, errors)
    header = _header(actor, data, errors, None)
    account = header.pop("_account")
    if "currency" not in header and _currency_ok(data, header):
        header["currency"] = (account.currency if account else "") or settings.CYCLECRM[
            "DEFAULT_CURRENCY"
        ]
    priced = None
    if not data.get("lines"):
        errors.add("lines", "An order needs at least one line.")
    elif _currency_ok(data, header):
        context = _context(account, header["currency"], data.get("segment"))
        priced = lines_prepare(actor=actor, raw_lines=data["lines"], context=context, errors=errors)
    errors.raise_if_any()
    assert priced is not None
    if "number" in header and _number_taken(header["number"]):
        raise Duplicate(fields={"number": ["Another order has this number."]})
    with transaction.atomic():
        if "number" not in header:
            header["number"] = next_number("order", taken=_number_taken)
        order = record_create(
            actor=actor,
            model=Order,
            data={**header, **priced.total_fields()},
            tags=tags,
            custom=custom,
        )
        OrderLine.objects.bulk_create(line_rows(OrderLine, priced, order=order))
    return order


def _number_taken(number: str) -> bool:
    return Order.objects.filter(number=number).exists()


def order_update(
    *,
    actor: User,
    order: Order,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Order:
    """Links, date, ownership and tags change any time; `lines` (replacing every line and the
    totals) and `currency` only while the order is pending. Status: `order_set_status`."""
    errors = FieldErrors()
    check_known(data, ORDER_PATCH_FIELDS, errors)
    header = _header(actor, data, errors, order)
    account = header.pop("_account")
    currency = header.get("currency", order.currency)
    repricing = "lines" in data or currency != order.currency
    if repricing and order.status != OrderStatus.PENDING and access.can(actor, Action.EDIT, order):
        raise OrderNotPending(f"Order {order.number} is {order.status}.")
    priced: PricedLines | None = None
    if "lines" in data:
        if not data["lines"]:
            errors.add("lines", "An order needs at least one line.")
        elif _currency_ok(data, header):
            context = _context(account, currency, data.get("segment"))
            priced = lines_prepare(
                actor=actor, raw_lines=data["lines"], context=context, errors=errors
            )
    elif currency != order.currency:
        errors.add("lines", "Send the lines again when changing the currency.")
    errors.raise_if_any()
    if priced is not None:
        header.update(priced.total_fields())
    with transaction.atomic():
        record_update(
            actor=actor, instance=order, data=header, version=version, tags=tags, custom=custom
        )
        if priced is not None:
            order.lines.all().delete()
            OrderLine.objects.bulk_create(line_rows(OrderLine, priced, order=order))
    return order


def order_set_status(
    *, actor: User, order: Order, status: str, version: int | None = None
) -> Order:
    """Move the order along its statuses; a move the rules do not allow is a 409 `order_status`.
    `version` defaults to the version just read (the write is still versioned)."""
    if status not in OrderStatus.values:
        raise ValidationFailed(
            fields={"status": [f"Choose one of: {', '.join(OrderStatus.values)}."]}
        )
    allowed = TRANSITIONS[OrderStatus(order.status)]
    if status not in allowed and access.can(actor, Action.EDIT, order):
        choices = ", ".join(sorted(allowed)) or "none (final status)"
        raise OrderStatusConflict(
            f"Order {order.number} is {order.status}; it can move to: {choices}.",
            fields={"status": [f"Not allowed from {order.status}."]},
        )
    with transaction.atomic():
        record_update(
            actor=actor,
            instance=order,
            data={"status": status},
            version=order.version if version is None else version,
        )
        emit(Event(f"order.{status}", Order.record_type, order.pk, actor.pk))
    return order


def order_delete(*, actor: User, order: Order) -> None:
    if order.status not in DELETABLE and access.can(actor, Action.DELETE, order):
        raise OrderNotDeletable(f"Order {order.number} is {order.status}.")
    record_delete(actor=actor, instance=order)


def order_from_quote(*, actor: User, quote: Quote) -> Order:
    """The order of an accepted quote (call inside the accepting transaction): same currency,
    totals and lines; account and contact from the opportunity; owned like the quote."""
    opportunity = quote.opportunity
    owner = quote.owner if quote.owner is not None and quote.owner.is_active else actor
    order = record_create(
        actor=actor,
        model=Order,
        data={
            "number": next_number("order", taken=_number_taken),
            "account_id": opportunity.account_id,
            "contact_id": opportunity.contact_id,
            "opportunity_id": opportunity.pk,
            "quote_id": quote.pk,
            "currency": quote.currency,
            "subtotal": quote.subtotal,
            "tax_total": quote.tax_total,
            "total": quote.total,
            "status": OrderStatus.PENDING,
            "owner_id": owner.pk,
            "team_id": quote.team_id,
        },
    )
    OrderLine.objects.bulk_create(copy_lines(OrderLine, list(quote.lines.all()), order=order))
    return order
