"""How a quote or an order adds up: pure functions, no database, the one rule everyone uses.

The rule (docs/quotes-and-orders.md has a worked example):

- a line's **net** = quantity * unit price * (1 - discount / 100), computed exactly and then
  rounded half-up to the currency's minor unit (`core.money.round_money`: 2 places for EUR,
  0 for JPY, 3 for KWD);
- its **tax** = that *rounded* net * tax / 100, rounded the same way;
- **subtotal** = Σ net, **tax_total** = Σ tax, **total** = subtotal + tax_total (sums of
  rounded amounts, so they need no further rounding and the printed lines always add up).

Inputs are validated before anything is computed: quantity > 0, unit price ≥ 0,
0 ≤ discount ≤ 100, 0 ≤ tax ≤ 100, and no more decimal places than the columns store. Each
problem is named with the line's index (`lines.2.discount_percent`), so a client knows which
input to fix.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from cyclecrm.core.money import minor_unit, parse_decimal, round_money

HUNDRED = Decimal(100)
# Stored precision of the line columns (catalog.models.LineFields): quantity and money keep four
# decimal places, percentages two; amounts stay below 10**14 (money_field: 18 digits, 4 places).
QUANTITY_PLACES = 4
PRICE_PLACES = 4
PERCENT_PLACES = 2
MAX_QUANTITY = Decimal(10) ** 10
MAX_AMOUNT = Decimal(10) ** 14
# Exact arithmetic: 10 + 4 digits of quantity times 14 + 4 of price times 3 + 2 of discount fit.
_PRECISION = 80

LINE_NUMBERS = ("quantity", "unit_price", "discount_percent", "tax_percent")
FLOAT_MESSAGE = 'Send decimal strings ("19.99"), not floats: floats are not exact.'


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal(0)
    tax_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class PricedLine:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def line_net(line: LineInput, currency: str) -> Decimal:
    """quantity * unit price * (1 - discount/100), exact, then rounded half-up to the minor unit."""
    with localcontext(prec=_PRECISION):
        exact = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
        return round_money(exact, currency)


def line_tax(net: Decimal, tax_percent: Decimal, currency: str) -> Decimal:
    """The rounded net * tax/100, rounded half-up to the minor unit."""
    with localcontext(prec=_PRECISION):
        return round_money(net * tax_percent / HUNDRED, currency)


def price_line(line: LineInput, currency: str) -> PricedLine:
    net = line_net(line, currency)
    return PricedLine(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_percent=line.tax_percent,
        net=net,
        tax=line_tax(net, line.tax_percent, currency),
    )


def price_lines(lines: Iterable[LineInput], currency: str) -> Totals:
    """Every line priced, and the totals: sums of the rounded line amounts."""
    priced = tuple(price_line(line, currency) for line in lines)
    zero = round_money(Decimal(0), currency)
    subtotal = sum((line.net for line in priced), zero)
    tax_total = sum((line.tax for line in priced), zero)
    return Totals(lines=priced, subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total)


# -- validation ----------------------------------------------------------------------------------


def line_problems(line: LineInput) -> dict[str, str]:
    """What is wrong with one line's numbers, by field name (empty when it is valid)."""
    problems: dict[str, str] = {}
    if line.quantity <= 0:
        problems["quantity"] = "The quantity must be greater than 0."
    elif line.quantity >= MAX_QUANTITY:
        problems["quantity"] = "The quantity is too large."
    if line.unit_price < 0:
        problems["unit_price"] = "The unit price cannot be negative."
    elif line.unit_price >= MAX_AMOUNT:
        problems["unit_price"] = "The unit price is too large."
    if not 0 <= line.discount_percent <= 100:
        problems["discount_percent"] = "The discount must be between 0 and 100 percent."
    if not 0 <= line.tax_percent <= 100:
        problems["tax_percent"] = "The tax must be between 0 and 100 percent."
    places = {
        "quantity": QUANTITY_PLACES,
        "unit_price": PRICE_PLACES,
        "discount_percent": PERCENT_PLACES,
        "tax_percent": PERCENT_PLACES,
    }
    for name, limit in places.items():
        if name not in problems and decimal_places(getattr(line, name)) > limit:
            problems[name] = f"At most {limit} decimal places."
    return problems


def validate_lines(lines: Sequence[LineInput], currency: str) -> dict[str, list[str]]:
    """Every problem of every line as `{"lines.<index>.<field>": [reason]}`; the line amount
    itself must also stay within what an amount column holds."""
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        problems = line_problems(line)
        for name, reason in problems.items():
            errors[f"lines.{index}.{name}"] = [reason]
        if not problems and line_net(line, currency) >= MAX_AMOUNT:
            errors[f"lines.{index}.quantity"] = ["The line amount is too large."]
    return errors


def parse_line_numbers(
    raw: Mapping[str, Any], index: int, errors: dict[str, list[str]]
) -> dict[str, Decimal]:
    """The numeric inputs of one raw line as Decimals (floats refused), problems added to
    `errors` under `lines.<index>.<field>`. Missing values are simply left out."""
    values: dict[str, Decimal] = {}
    for name in LINE_NUMBERS:
        value = raw.get(name)
        if value is None or value == "":
            continue
        key = f"lines.{index}.{name}"
        if isinstance(value, float):
            errors[key] = [FLOAT_MESSAGE]
            continue
        try:
            values[name] = parse_decimal(value, field=name)
        except ValueError as exc:
            errors[key] = [str(exc).removeprefix(f"{name}: ").capitalize()]
    return values


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# -- presentation ------------------------------------------------------------------------------


def amount_text(value: Decimal | None, currency: str) -> str | None:
    """An amount as the API sends it: a decimal string with the currency's minor unit
    ("21.39", "1000" for JPY, "1.235" for KWD); finer stored digits (a unit price of 0.0125)
    are kept, trailing zeros beyond the minor unit are not."""
    if value is None:
        return None
    places = max(minor_unit(currency), decimal_places(value))
    return f"{value:.{places}f}"


def number_text(value: Decimal | None) -> str | None:
    """A quantity or a percentage without trailing zeros: "2", "1.5", "19"."""
    if value is None:
        return None
    return f"{value:.{decimal_places(value)}f}"


def money_label(value: Decimal | None, currency: str) -> str:
    """An amount for people: "1,234.56 EUR"."""
    if value is None:
        return ""
    places = max(minor_unit(currency), decimal_places(value))
    return f"{value:,.{places}f} {currency}".strip()
