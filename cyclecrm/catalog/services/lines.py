"""Lines of quotes and orders on the way in: read the raw lines (API body or form), fill the
defaults from the product and the price books, validate by the pricing rule, price them.

A raw line is a mapping with `product` (id, optional), `description`, `quantity`,
`unit_price`, `discount_percent` and `tax_percent`. Numbers are decimal strings or integers;
a float is refused. Omitted values default: `unit_price` to `price_for(product, ...)`,
`tax_percent` to the product's, `discount_percent` to 0, `description` to the product's name.
Every problem names the line: `lines.2.discount_percent`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cyclecrm.catalog.models import LineFields, Product
from cyclecrm.catalog.pricing import (
    LineInput,
    Totals,
    parse_line_numbers,
    price_lines,
    validate_lines,
)
from cyclecrm.catalog.services.common import stored_money, stored_percent, text
from cyclecrm.catalog.services.price_books import price_for
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import User

LINE_KEYS = {"product", "description", "quantity", "unit_price", "discount_percent", "tax_percent"}
MAX_LINES = 500
DESCRIPTION_MAX = 300


@dataclass(frozen=True)
class DraftLine:
    product: Product | None
    description: str
    numbers: LineInput


@dataclass(frozen=True)
class PricedLines:
    lines: tuple[DraftLine, ...]
    totals: Totals

    def total_fields(self) -> dict[str, Decimal]:
        return {
            "subtotal": stored_money(self.totals.subtotal),
            "tax_total": stored_money(self.totals.tax_total),
            "total": stored_money(self.totals.total),
        }


@dataclass(frozen=True)
class PricingContext:
    """Whom the lines are priced for: the currency and the customer's country and segment."""

    currency: str
    country: str | None = None
    segment: str | None = None
    allow_inactive: bool = False


def lines_prepare(
    *, actor: User, raw_lines: Any, context: PricingContext, errors: FieldErrors
) -> PricedLines | None:
    """The priced lines, or None with the reasons added to `errors`."""
    if not isinstance(raw_lines, list | tuple):
        errors.add("lines", "Send a list of lines.")
        return None
    if len(raw_lines) > MAX_LINES:
        errors.add("lines", f"At most {MAX_LINES} lines.")
        return None
    drafts, found = draft_lines(actor=actor, raw_lines=raw_lines, context=context)
    for name, reasons in found.items():
        for reason in reasons:
            errors.add(name, reason)
    if found:
        return None
    complete = [draft for draft in drafts if draft is not None]
    totals = price_lines([draft.numbers for draft in complete], context.currency)
    return PricedLines(lines=tuple(complete), totals=totals)


def draft_lines(
    *, actor: User, raw_lines: Sequence[Any], context: PricingContext
) -> tuple[list[DraftLine | None], dict[str, list[str]]]:
    """Each raw line read and defaulted (None where it has a problem), and every problem by
    `lines.<index>.<field>`. The quote builder shows both while the user types."""
    found: dict[str, list[str]] = {}
    products = _visible_products(actor, raw_lines)
    drafts: list[DraftLine | None] = []
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, Mapping):
            found[f"lines.{index}"] = ["Send each line as an object."]
            drafts.append(None)
            continue
        drafts.append(_draft(raw, index, products, context, found))
    valid = [(index, draft) for index, draft in enumerate(drafts) if draft is not None]
    for name, reasons in validate_lines(
        [draft.numbers for _, draft in valid], context.currency
    ).items():
        _, position, field = name.split(".")
        index = valid[int(position)][0]
        found[f"lines.{index}.{field}"] = reasons
        drafts[index] = None
    return drafts, found


def _visible_products(actor: User, raw_lines: Sequence[Any]) -> dict[int, Product]:
    ids = {as_id(raw.get("product")) for raw in raw_lines if isinstance(raw, Mapping)} - {None}
    if not ids:
        return {}
    queryset = access.restrict(Product.objects.filter(pk__in=ids), actor)
    return {product.pk: product for product in queryset}


def _draft(
    raw: Mapping[str, Any],
    index: int,
    products: dict[int, Product],
    context: PricingContext,
    found: dict[str, list[str]],
) -> DraftLine | None:
    prefix = f"lines.{index}"
    for name in sorted(set(raw) - LINE_KEYS):
        found[f"{prefix}.{name}"] = ["Unknown field."]
    product = None
    product_id = raw.get("product")
    if product_id not in (None, ""):
        product = products.get(as_id(product_id))  # type: ignore[arg-type]
        if product is None:
            found[f"{prefix}.product"] = ["No product with this id."]
        elif not product.is_active and not context.allow_inactive:
            found[f"{prefix}.product"] = ["This product is no longer sold (inactive)."]
    numbers = parse_line_numbers(raw, index, found)
    description = text(raw.get("description")) or (product.name if product else "")
    if not description and f"{prefix}.product" not in found:
        found[f"{prefix}.description"] = ["Pick a product or describe the line."]
    elif len(description) > DESCRIPTION_MAX:
        found[f"{prefix}.description"] = [f"At most {DESCRIPTION_MAX} characters."]
    if "quantity" not in numbers and f"{prefix}.quantity" not in found:
        found[f"{prefix}.quantity"] = ["Required."]
    if any(key.startswith(f"{prefix}.") for key in found):
        return None
    if "unit_price" not in numbers:
        if product is None:
            found[f"{prefix}.unit_price"] = ["Required for a line without a product."]
            return None
        try:
            numbers["unit_price"] = price_for(
                product,
                currency=context.currency,
                country=context.country,
                segment=context.segment,
            )
        except ValidationFailed as exc:
            found[f"{prefix}.unit_price"] = exc.fields.get("unit_price", [exc.message])
            return None
    if "tax_percent" not in numbers:
        numbers["tax_percent"] = product.tax_percent if product else Decimal(0)
    return DraftLine(
        product=product,
        description=description,
        numbers=LineInput(
            quantity=numbers["quantity"],
            unit_price=numbers["unit_price"],
            discount_percent=numbers.get("discount_percent", Decimal(0)),
            tax_percent=numbers["tax_percent"],
        ),
    )


def as_id(value: Any) -> int | None:
    """An id from an int or a string of digits within the database's range, else None."""
    if isinstance(value, bool):
        return None
    digits = str(value).strip() if value is not None else ""
    if not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits) or None


def line_rows(model: type[LineFields], priced: PricedLines, **parent: Any) -> list[LineFields]:
    """Unsaved line rows for `model` (QuoteLine / OrderLine) under `parent` (quote=... / order=...),
    at the stored precision."""
    return [
        model(
            **parent,
            product=draft.product,
            description=draft.description,
            position=position,
            quantity=draft.numbers.quantity.quantize(Decimal("0.0001")),
            unit_price=stored_money(draft.numbers.unit_price),
            discount_percent=stored_percent(draft.numbers.discount_percent),
            tax_percent=stored_percent(draft.numbers.tax_percent),
            net=stored_money(amounts.net),
            tax=stored_money(amounts.tax),
        )
        for position, (draft, amounts) in enumerate(
            zip(priced.lines, priced.totals.lines, strict=True)
        )
    ]


def copy_lines(
    model: type[LineFields], lines: Sequence[LineFields], **parent: Any
) -> list[LineFields]:
    """Unsaved copies of existing lines (a quote's, for its order) under another parent."""
    return [
        model(
            **parent,
            product_id=line.product_id,
            description=line.description,
            position=line.position,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_percent=line.tax_percent,
            net=line.net,
            tax=line.tax,
        )
        for line in lines
    ]
