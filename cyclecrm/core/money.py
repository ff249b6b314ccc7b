"""Money: Decimal amounts with a currency code, rounded half-up to the currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models

# ISO 4217 minor units that differ from 2; every other currency uses cents.
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

AMOUNT_DIGITS = 18
AMOUNT_PLACES = 2


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (0.005 EUR -> 0.01, 0.5 JPY -> 1)."""
    quantum = Decimal(1).scaleb(-minor_unit(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def parse_decimal(raw: Any, *, field: str) -> Decimal:
    """A Decimal from a string or int; floats are refused because they are not exact."""
    if isinstance(raw, float | bool):
        raise ValueError(f"{field}: send money and quantities as decimal strings, not floats.")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{field}: not a decimal number.") from exc
    if not value.is_finite():
        raise ValueError(f"{field}: not a finite number.")
    return value


def money_field(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=4, **kwargs)


def currency_field(**kwargs: Any) -> models.CharField:
    return models.CharField(max_length=3, **kwargs)
