"""Helpers for the earning part's tests: a program with members, and orders moved through their
statuses by the catalog services (so the real `order.*` events fire after commit)."""

from decimal import Decimal
from typing import Any

from cyclecrm.catalog.models import Order, Product
from cyclecrm.catalog.services.orders import order_create, order_set_status
from cyclecrm.catalog.tests.factories import make_product
from cyclecrm.contacts.models import Contact
from cyclecrm.identity.models import User
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EarningAction, EarningRule, LoyaltyProgram, Member


def make_program(**fields: Any) -> LoyaltyProgram:
    fields.setdefault("name", "Cycle Club")
    fields.setdefault("currency", "EUR")
    return LoyaltyProgram.objects.create(**fields)


def make_rule(program: LoyaltyProgram, action: str = EarningAction.SPEND, **fields: Any):
    fields.setdefault("name", f"{action} rule")
    if action == EarningAction.SPEND:
        fields.setdefault("points_per_unit", Decimal(1))
    else:
        fields.setdefault("points", 10)
    return EarningRule.objects.create(program=program, action=action, **fields)


def enrol(program: LoyaltyProgram, contact: Contact) -> Member:
    return member_enroll(program=program, contact=contact)


def priced_product(price: str, category: str = "", currency: str = "EUR") -> Product:
    return make_product(
        unit_price=Decimal(price), tax_percent=Decimal(0), category=category, currency=currency
    )


def place_order(
    actor: User, contact: Contact, lines: list[tuple[Product, int]], currency: str = "EUR"
) -> Order:
    data = {
        "contact": contact.pk,
        "currency": currency,
        "lines": [{"product": product.pk, "quantity": str(qty)} for product, qty in lines],
    }
    return order_create(actor=actor, data=data)


def move(actor: User, order: Order, *statuses: str) -> Order:
    for status in statuses:
        order.refresh_from_db()
        order = order_set_status(actor=actor, order=order, status=status)
    return order
