"""Factories for catalog tests: plain ORM inserts with realistic defaults (no permission
checks), so a test can set up any state; the behaviour under test goes through services."""

import itertools
from decimal import Decimal
from typing import Any

from cyclecrm.catalog.models import (
    Order,
    OrderLine,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteLine,
)
from cyclecrm.identity.models import User
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage

_seq = itertools.count(1)


def _team_of(owner: User | None, fields: dict[str, Any]) -> Any:
    return fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)


def make_product(**fields: Any) -> Product:
    n = next(_seq)
    fields.setdefault("sku", f"SKU-{n:04d}")
    fields.setdefault("name", f"Product {n}")
    fields.setdefault("unit_price", Decimal("10.00"))
    fields.setdefault("currency", "EUR")
    fields.setdefault("tax_percent", Decimal("19"))
    return Product.objects.create(**fields)


def make_price_book(**fields: Any) -> PriceBook:
    fields.setdefault("name", f"Price book {next(_seq)}")
    fields.setdefault("currency", "EUR")
    return PriceBook.objects.create(**fields)


def make_entry(price_book: PriceBook, product: Product, unit_price: str) -> PriceBookEntry:
    return PriceBookEntry.objects.create(
        price_book=price_book, product=product, unit_price=Decimal(unit_price)
    )


def _stage() -> Stage:
    pipeline = Pipeline.objects.filter(name="Catalog tests").first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(name="Catalog tests", is_default=False)
        Stage.objects.create(pipeline=pipeline, name="Proposal", position=0, probability=50)
    return pipeline.stages.get()


def make_opportunity(owner: User | None = None, **fields: Any) -> Opportunity:
    stage = _stage()
    fields.setdefault("name", f"Deal {next(_seq)}")
    fields.setdefault("currency", "EUR")
    team = _team_of(owner, fields)
    return Opportunity.objects.create(
        owner=owner, team=team, created_by=owner, pipeline=stage.pipeline, stage=stage, **fields
    )


def make_quote(owner: User | None = None, *, lines: int = 1, **fields: Any) -> Quote:
    """A quote with `lines` lines of 1 * 10.00 EUR at 19 % (net 10.00, tax 1.90 each)."""
    fields.setdefault("number", f"Q-TEST-{next(_seq):05d}")
    fields.setdefault("opportunity", make_opportunity(owner))
    fields.setdefault("currency", "EUR")
    team = _team_of(owner, fields)
    quote = Quote.objects.create(
        owner=owner,
        team=team,
        created_by=owner,
        subtotal=Decimal("10.00") * lines,
        tax_total=Decimal("1.90") * lines,
        total=Decimal("11.90") * lines,
        **fields,
    )
    for position in range(lines):
        QuoteLine.objects.create(quote=quote, position=position, **_line_values())
    return quote


def make_order(owner: User | None = None, *, lines: int = 1, **fields: Any) -> Order:
    fields.setdefault("number", f"O-TEST-{next(_seq):05d}")
    fields.setdefault("currency", "EUR")
    team = _team_of(owner, fields)
    order = Order.objects.create(
        owner=owner,
        team=team,
        created_by=owner,
        subtotal=Decimal("10.00") * lines,
        tax_total=Decimal("1.90") * lines,
        total=Decimal("11.90") * lines,
        **fields,
    )
    for position in range(lines):
        OrderLine.objects.create(order=order, position=position, **_line_values())
    return order


def _line_values() -> dict[str, Any]:
    return {
        "description": "Widget",
        "quantity": Decimal(1),
        "unit_price": Decimal("10.00"),
        "tax_percent": Decimal(19),
        "net": Decimal("10.00"),
        "tax": Decimal("1.90"),
    }
