"""API input and output shapes for products, price books, quotes and orders.

Money, quantities and percentages travel as decimal strings ("19.99"); an integer is accepted
too, a float is refused (422 "send decimal strings") because it is not exact. Outputs send
amounts with the currency's minor unit ("21.39", "1000" in JPY, "1.235" in KWD). Links to
other records are named after the record (`opportunity`, `product`, `account`) and carry its
id, in inputs and outputs alike. Outputs declare every field nullable except `id` and
`version`: a field hidden from the reader by a role's field rule is sent as null.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from cyclecrm.api.schemas import (
    MAX_ID,
    SET_VERSION_DOC,
    InputSchema,
    Instant,
    OutputSchema,
    Version,
)
from cyclecrm.catalog.models import LineFields, Order, OrderStatus, Quote, QuoteStatus
from cyclecrm.catalog.pricing import FLOAT_MESSAGE, amount_text, number_text
from cyclecrm.contacts.schemas import VERSION_DOC, RecordIn, RecordOut
from cyclecrm.core.money import parse_decimal

DECIMAL_DOC = 'A decimal string such as "19.99" (an integer also works; floats are refused).'
DECIMAL_TEXT_MAX = 40
MAX_LINES = 500


def _decimal_input(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise PydanticCustomError("decimal_string", FLOAT_MESSAGE)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if not isinstance(value, str) or len(value) > DECIMAL_TEXT_MAX:
        raise PydanticCustomError("decimal_string", 'Send a decimal string such as "19.99".')
    try:
        return parse_decimal(value, field="value")
    except ValueError:
        raise PydanticCustomError("decimal_string", "Not a decimal number.") from None


DecimalIn = Annotated[
    Decimal,
    PlainValidator(_decimal_input),
    WithJsonSchema(
        {"type": "string", "format": "decimal", "examples": ["19.99"], "description": DECIMAL_DOC}
    ),
]
DecimalOut = Annotated[
    str, WithJsonSchema({"type": "string", "format": "decimal", "examples": ["19.99"]})
]
QuoteStatusValue = Literal[tuple(QuoteStatus.values)]
OrderStatusValue = Literal[tuple(OrderStatus.values)]


def _text(max_length: int, description: str | None = None) -> Any:
    return Field(None, max_length=max_length, description=description)


def _id(description: str | None = None) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


def _money(name: str) -> Any:
    return lambda obj: amount_text(getattr(obj, name), obj.currency)


# -- products --------------------------------------------------------------------------------


class ProductFieldsIn(RecordIn):
    description: str | None = _text(10000)
    vendor: str | None = _text(200)
    category: str | None = _text(100)
    unit_price: DecimalIn | None = Field(None, description="List price in `currency`.")
    currency: str | None = _text(3, "ISO-4217 code; defaults to the installation's currency.")
    tax_percent: DecimalIn | None = Field(None, description="Default tax rate of its lines.")
    is_active: bool | None = Field(None, description="Inactive products cannot be quoted.")


class ProductCreateIn(ProductFieldsIn):
    sku: str = Field(min_length=1, max_length=64, description="Unique; a duplicate is a 409.")
    name: str = Field(min_length=1, max_length=200)
    unit_price: DecimalIn = Field(description="List price in `currency`.")


class ProductPatchIn(ProductFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    sku: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)


class ProductOut(RecordOut):
    computed = {
        **RecordOut.computed,
        "unit_price": _money("unit_price"),
        "tax_percent": lambda p: number_text(p.tax_percent),
    }

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    vendor: str | None = None
    category: str | None = None
    unit_price: DecimalOut | None = None
    currency: str | None = None
    tax_percent: DecimalOut | None = None
    is_active: bool | None = None


class PriceOut(OutputSchema):
    product: int
    currency: str
    country: str | None
    segment: str | None
    unit_price: DecimalOut


# -- price books -----------------------------------------------------------------------------


class PriceBookFieldsIn(InputSchema):
    currency: str | None = _text(3, "ISO-4217 code of every price in the book.")
    countries: list[Annotated[str, Field(max_length=100)]] | None = Field(
        None, max_length=250, description="ISO-3166 codes or names; empty: every country."
    )
    segment: str | None = _text(100, "Customer segment; empty: every segment.")
    is_active: bool | None = None


class PriceBookCreateIn(PriceBookFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    currency: str = Field(min_length=3, max_length=3)


class PriceBookPatchIn(PriceBookFieldsIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    version: Version


class PriceBookOut(OutputSchema):
    id: int
    version: int
    name: str
    currency: str
    countries: list[str]
    segment: str
    is_active: bool
    created_at: dt.datetime


class PriceBookEntryIn(InputSchema):
    unit_price: DecimalIn = Field(description="The product's price in the book's currency.")
    version: int | None = Field(None, ge=1, le=MAX_ID, description=SET_VERSION_DOC)


class PriceBookEntryOut(OutputSchema):
    id: int
    version: int
    product: int
    sku: str
    name: str
    unit_price: DecimalOut


def entry_out(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "version": entry.version,
        "product": entry.product_id,
        "sku": entry.product.sku,
        "name": entry.product.name,
        "unit_price": amount_text(entry.unit_price, entry.price_book.currency),
    }


# -- lines -----------------------------------------------------------------------------------


class LineIn(InputSchema):
    product: int | None = _id("A product you may read; fills the defaults below.")
    description: str | None = _text(300, "Defaults to the product's name.")
    quantity: DecimalIn = Field(description="Greater than 0; up to 4 decimals.")
    unit_price: DecimalIn | None = Field(
        None, description="Defaults to the product's price (price books, then list price)."
    )
    discount_percent: DecimalIn | None = Field(None, description="0 to 100; default 0.")
    tax_percent: DecimalIn | None = Field(None, description="0 to 100; default: the product's.")


class LineOut(OutputSchema):
    id: int
    position: int
    product: int | None
    description: str
    quantity: DecimalOut
    unit_price: DecimalOut
    discount_percent: DecimalOut
    tax_percent: DecimalOut
    net: DecimalOut
    tax: DecimalOut


def line_out(line: LineFields, currency: str) -> dict[str, Any]:
    return {
        "id": line.pk,
        "position": line.position,
        "product": line.product_id,
        "description": line.description,
        "quantity": number_text(line.quantity),
        "unit_price": amount_text(line.unit_price, currency),
        "discount_percent": number_text(line.discount_percent),
        "tax_percent": number_text(line.tax_percent),
        "net": amount_text(line.net, currency),
        "tax": amount_text(line.tax, currency),
    }


def _lines(obj: Quote | Order) -> list[dict[str, Any]]:
    return [line_out(line, obj.currency) for line in obj.lines.all()]


LINES_DOC = "Every line of the document; on update, replaces them all and recomputes the totals."
SEGMENT_DOC = "Customer segment used to pick segment price books (not stored)."


# -- quotes ----------------------------------------------------------------------------------


class QuoteFieldsIn(RecordIn):
    currency: str | None = _text(3, "ISO-4217 code; defaults to the opportunity's.")
    valid_until: dt.date | None = None
    notes: str | None = _text(10000)
    lines: list[LineIn] | None = Field(None, max_length=MAX_LINES, description=LINES_DOC)
    segment: str | None = _text(100, SEGMENT_DOC)


class QuoteCreateIn(QuoteFieldsIn):
    opportunity: int = Field(ge=1, le=MAX_ID, description="An opportunity you may read.")


class QuotePatchIn(QuoteFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class QuoteOut(RecordOut):
    computed = {
        **RecordOut.computed,
        "opportunity": lambda q: q.opportunity_id,
        "order": lambda q: getattr(getattr(q, "order", None), "pk", None),
        "subtotal": _money("subtotal"),
        "tax_total": _money("tax_total"),
        "total": _money("total"),
        "lines": _lines,
    }

    number: str | None = None
    opportunity: int | None = None
    status: str | None = None
    currency: str | None = None
    valid_until: dt.date | None = None
    notes: str | None = None
    subtotal: DecimalOut | None = None
    tax_total: DecimalOut | None = None
    total: DecimalOut | None = None
    sent_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    order: int | None = Field(None, description="The order made when the quote was accepted.")
    lines: list[LineOut] | None = None


class QuoteAcceptedOut(OutputSchema):
    order: int = Field(description="The id of the order created from the quote.")
    quote: QuoteOut


# -- orders ----------------------------------------------------------------------------------


class OrderFieldsIn(RecordIn):
    account: int | None = _id("Defaults to the contact's or the opportunity's account.")
    contact: int | None = _id("Defaults to the opportunity's contact.")
    opportunity: int | None = _id()
    currency: str | None = _text(3, "ISO-4217 code; defaults to the account's currency.")
    ordered_at: Instant | None = Field(
        None, description="When the customer ordered; default now; not in the future."
    )
    segment: str | None = _text(100, SEGMENT_DOC)


class OrderCreateIn(OrderFieldsIn):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    status: OrderStatusValue | None = Field(
        None, description="Default pending; an import may record any status."
    )
    number: str | None = Field(
        None, min_length=1, max_length=30, description="Default: the next O-<year>-<n>."
    )


class OrderPatchIn(OrderFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    lines: list[LineIn] | None = Field(
        None, min_length=1, max_length=MAX_LINES, description=LINES_DOC + " Pending orders only."
    )


class OrderStatusIn(InputSchema):
    status: OrderStatusValue
    version: int | None = Field(None, ge=1, le=MAX_ID, description=VERSION_DOC)


class OrderOut(RecordOut):
    computed = {
        **RecordOut.computed,
        "account": lambda o: o.account_id,
        "contact": lambda o: o.contact_id,
        "opportunity": lambda o: o.opportunity_id,
        "quote": lambda o: o.quote_id,
        "subtotal": _money("subtotal"),
        "tax_total": _money("tax_total"),
        "total": _money("total"),
        "lines": _lines,
    }

    number: str | None = None
    account: int | None = None
    contact: int | None = None
    opportunity: int | None = None
    quote: int | None = None
    ordered_at: dt.datetime | None = None
    status: str | None = None
    currency: str | None = None
    subtotal: DecimalOut | None = None
    tax_total: DecimalOut | None = None
    total: DecimalOut | None = None
    lines: list[LineOut] | None = None


_RECORD_COLUMNS = ("owner_id", "team_id", "tags", "external_id", "created_at", "updated_at")
PRODUCT_EXPORT_COLUMNS = (
    "id", "sku", "name", "description", "vendor", "category", "unit_price", "currency",
    "tax_percent", "is_active", *_RECORD_COLUMNS,
)  # fmt: skip
QUOTE_EXPORT_COLUMNS = (
    "id", "number", "opportunity_id", "status", "currency", "subtotal", "tax_total", "total",
    "valid_until", "sent_at", "decided_at", *_RECORD_COLUMNS,
)  # fmt: skip
ORDER_EXPORT_COLUMNS = (
    "id", "number", "account_id", "contact_id", "opportunity_id", "quote_id", "ordered_at",
    "status", "currency", "subtotal", "tax_total", "total", *_RECORD_COLUMNS,
)  # fmt: skip
