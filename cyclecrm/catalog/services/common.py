"""Normalization shared by the catalog services: text, currency codes, decimals, dates.

Each helper reads one input value, stores the cleaned value back into `data`, or adds a reason
to `errors` under the field's name. Decimals are brought to the stored precision so the audit
history compares like with like ("19.9900" before and after, not "19.99" against "19.9900").
"""

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pycountry

from cyclecrm.catalog.pricing import FLOAT_MESSAGE, MAX_AMOUNT, decimal_places
from cyclecrm.contacts.normalize import clean_text
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.money import parse_decimal

MONEY_QUANTUM = Decimal("0.0001")
PERCENT_QUANTUM = Decimal("0.01")


def check_known(data: dict[str, Any], allowed: Iterable[str], errors: FieldErrors) -> None:
    for name in sorted(set(data) - set(allowed)):
        errors.add(name, "Unknown field.")


def apply(data: dict[str, Any], errors: FieldErrors, name: str, func: Callable[[Any], Any]) -> None:
    if name not in data:
        return
    try:
        data[name] = func(data[name])
    except ValueError as exc:
        errors.add(name, str(exc))


def text(value: Any) -> str:
    return clean_text(value) if value is not None else ""


def multiline(value: Any) -> str:
    """Free text keeps its line breaks; only the ends are trimmed."""
    return str(value).strip() if value is not None else ""


def currency_code(value: Any) -> str:
    code = clean_text(value).upper() if value is not None else ""
    if not code:
        raise ValueError("Required: an ISO-4217 code such as EUR.")
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"Unknown currency {code!r}; use an ISO-4217 code such as EUR.")
    return code


def decimal_value(value: Any, *, places: int, minimum: Decimal, maximum: Decimal) -> Decimal:
    """A Decimal within [minimum, maximum] with at most `places` decimals; floats refused."""
    if isinstance(value, float):
        raise ValueError(FLOAT_MESSAGE)
    if value is None or value == "":
        raise ValueError("Required.")
    number = parse_decimal(value, field="value")
    if number < minimum:
        raise ValueError(f"Must be at least {minimum}.")
    if number > maximum:
        raise ValueError(f"Must be at most {maximum}.")
    if decimal_places(number) > places:
        raise ValueError(f"At most {places} decimal places.")
    return number.quantize(Decimal(1).scaleb(-places))


def money_value(value: Any) -> Decimal:
    return decimal_value(value, places=4, minimum=Decimal(0), maximum=MAX_AMOUNT - MONEY_QUANTUM)


def percent_value(value: Any) -> Decimal:
    return decimal_value(value, places=2, minimum=Decimal(0), maximum=Decimal(100))


def stored_money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_QUANTUM)


def stored_percent(value: Decimal) -> Decimal:
    return value.quantize(PERCENT_QUANTUM)


def date_value(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError("Enter a date as YYYY-MM-DD.") from exc
