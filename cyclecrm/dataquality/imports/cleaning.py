"""Cleansing one cell by the kind of its target column.

`cleaner(column, options)` returns a function raw cell -> stored value that raises ValueError
with the reason shown to the user. Contact data goes through `contacts.normalize` (the one
normalizer); custom fields through `core.custom_fields`. Repeated values (the same country, the
same company phone) are cached per import.
"""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.conf import settings

from cyclecrm.contacts.normalize import (
    clean_text,
    normalize_country,
    normalize_email,
    normalize_phone,
)
from cyclecrm.core.custom_fields import coerce_value
from cyclecrm.core.models import CustomField, CustomFieldKind
from cyclecrm.dataquality.imports.targets.base import Column

Cleaner = Callable[[Any], Any]

_TRUE = {"yes", "y", "true", "t", "1", "x", "on", "ja", "oui", "si"}
_FALSE = {"no", "n", "false", "f", "0", "off", "nein", "non"}
_SPACES = re.compile(r"[\s\u00a0\u202f']+")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MONTH_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%b-%y")
_ORDERS = {
    "dmy": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y"),
    "ymd": ("%Y/%m/%d", "%Y.%m.%d"),
}
MAX_TAGS = 50


def default_options() -> dict[str, Any]:
    region = settings.CYCLECRM["DEFAULT_REGION"]
    return {
        "default_region": region,
        "date_order": "mdy" if region == "US" else "dmy",
        "decimal_separator": ".",
    }


def resolved_options(options: dict[str, Any] | None) -> dict[str, Any]:
    merged = default_options()
    merged.update({key: value for key, value in (options or {}).items() if value})
    if "default_region" in (options or {}) and "date_order" not in (options or {}):
        merged["date_order"] = "mdy" if merged["default_region"] == "US" else "dmy"
    return merged


def cleaner(column: Column, options: dict[str, Any], custom: CustomField | None = None) -> Cleaner:
    """The cleaning function of one column; `max_length` checked on the cleaned text."""
    base = _BUILDERS[column.kind](column, options, custom)
    if not column.max_length:
        return base
    limit = column.max_length

    def bounded(raw: Any) -> Any:
        value = base(raw)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"At most {limit} characters (got {len(value)}).")
        return value

    return bounded


def _text(column: Column, options: dict, custom: Any) -> Cleaner:
    def clean(raw: Any) -> str:
        return _as_text(raw).strip()

    return clean if (column.max_length or 0) > 1000 else lambda raw: clean_text(_as_text(raw))


def _as_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    return str(raw)


def _email(column: Column, options: dict, custom: Any) -> Cleaner:
    return lambda raw: _email_cached(clean_text(_as_text(raw)))


@lru_cache(maxsize=4096)
def _email_cached(text: str) -> str:
    try:
        return normalize_email(text)
    except ValueError as exc:
        raise ValueError(f"Not a valid e-mail address: {exc}") from None


def _phone(column: Column, options: dict, custom: Any) -> Cleaner:
    region = str(options.get("default_region") or "US").upper()
    return lambda raw: _phone_cached(clean_text(_as_text(raw)), region)


@lru_cache(maxsize=65536)
def _phone_cached(text: str, region: str) -> str:
    return normalize_phone(text, region=region)


def _country(column: Column, options: dict, custom: Any) -> Cleaner:
    return lambda raw: normalize_country(clean_text(_as_text(raw)))


def parse_date(raw: Any, date_order: str) -> dt.date:
    """ISO, d/m/Y or m/d/Y (by `date_order`), '3 Jan 2024', 'January 3, 2024', Excel serials."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 1 <= raw < 2958466:
            return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
        raise ValueError(f"{raw!r} is not a date.")
    return _parse_date_text(clean_text(str(raw)).replace(",", ""), date_order)


@lru_cache(maxsize=8192)
def _parse_date_text(text: str, date_order: str) -> dt.date:
    try:
        return (
            dt.date.fromisoformat(text[:10])
            if len(text) >= 10 and text[4] == "-"
            else _formats(text, date_order)
        )
    except ValueError:
        return _formats(text, date_order)


def _formats(text: str, date_order: str) -> dt.date:
    for fmt in _ORDERS.get(date_order, _ORDERS["dmy"]) + _ORDERS["ymd"] + _MONTH_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    hint = {"dmy": "DD/MM/YYYY", "mdy": "MM/DD/YYYY"}.get(date_order, "YYYY-MM-DD")
    raise ValueError(f"Not a date; use YYYY-MM-DD, {hint} or '3 Jan 2024'.")


def _date(column: Column, options: dict, custom: Any) -> Cleaner:
    order = options.get("date_order", "dmy")
    return lambda raw: parse_date(raw, order)


def _datetime(column: Column, options: dict, custom: Any) -> Cleaner:
    order = options.get("date_order", "dmy")

    def clean(raw: Any) -> dt.datetime:
        from django.utils import timezone

        if isinstance(raw, dt.datetime):
            value = raw
        else:
            text = clean_text(str(raw))
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                value = dt.datetime.combine(parse_date(text, order), dt.time())
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    return clean


def parse_decimal(raw: Any, decimal_separator: str = ".") -> Decimal:
    """'1.234,56', '1,234.56', '1 234,56', '1,5' -> Decimal. With one kind of separator used
    once, it is the decimal mark unless exactly three digits follow and it is not
    `decimal_separator`."""
    if isinstance(raw, bool):
        raise ValueError("Not a number.")
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    text = _SPACES.sub("", str(raw))
    sign = ""
    if text[:1] in "+-":
        sign, text = text[:1].replace("+", ""), text[1:]
    if not text or not re.fullmatch(r"[0-9.,]+", text):
        raise ValueError(f"{raw!r} is not a number.")
    text = _plain_digits(text, decimal_separator, raw)
    try:
        value = Decimal(sign + text)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"{raw!r} is not a number.")
    return value


def _plain_digits(text: str, decimal_separator: str, raw: Any) -> str:
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
    elif dots + commas == 0:
        return text
    else:
        sep = "." if dots else ","
        after = text.rsplit(sep, 1)[1]
        if dots + commas > 1:
            decimal = "," if sep == "." else "."
        elif sep == decimal_separator or len(after) != 3:
            decimal = sep
        else:
            decimal = "," if sep == "." else "."
    thousands = "," if decimal == "." else "."
    whole, _, fraction = text.partition(decimal)
    if decimal in fraction or thousands in fraction:
        raise ValueError(f"{raw!r} is not a number.")
    if thousands in whole and not re.fullmatch(
        r"\d{1,3}(" + re.escape(thousands) + r"\d{3})+", whole
    ):
        raise ValueError(f"{raw!r} is not a number: digit groups of three expected.")
    whole = whole.replace(thousands, "") or "0"
    return f"{whole}.{fraction}" if fraction else whole


def _decimal(column: Column, options: dict, custom: Any) -> Cleaner:
    separator = options.get("decimal_separator", ".")

    def clean(raw: Any) -> Decimal:
        value = parse_decimal(raw, separator)
        if abs(value) >= Decimal(10) ** 15:
            raise ValueError("Too large a number.")
        return value.quantize(Decimal("0.01")) if value.as_tuple().exponent < -2 else value

    return clean


def _integer(column: Column, options: dict, custom: Any) -> Cleaner:
    separator = options.get("decimal_separator", ".")

    def clean(raw: Any) -> int:
        value = parse_decimal(raw, separator)
        if value != value.to_integral_value():
            raise ValueError(f"{raw!r} is not a whole number.")
        if abs(value) > 2**31 - 1:
            raise ValueError("Too large a number.")
        return int(value)

    return clean


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = clean_text(_as_text(raw)).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not yes/no, true/false, 1/0 or x.")


def _boolean(column: Column, options: dict, custom: Any) -> Cleaner:
    return parse_bool


def _choice(column: Column, options: dict, custom: Any) -> Cleaner:
    known = {}
    for value, label in column.choices:
        known.setdefault(str(value).casefold(), value)
        known.setdefault(str(label).casefold(), value)
    allowed = ", ".join(str(value) for value, _ in column.choices)

    def clean(raw: Any) -> str:
        text = clean_text(_as_text(raw))
        try:
            return known[text.casefold()]
        except KeyError:
            raise ValueError(f"{text!r} is not one of {allowed}.") from None

    return clean


def _lookup(column: Column, options: dict, custom: Any) -> Cleaner:
    return lambda raw: clean_text(_as_text(raw))


def _tags(column: Column, options: dict, custom: Any) -> Cleaner:
    def clean(raw: Any) -> list[str]:
        names = [clean_text(part)[:64] for part in re.split(r"[,;|]", _as_text(raw))]
        names = list(dict.fromkeys(name for name in names if name))
        if len(names) > MAX_TAGS:
            raise ValueError(f"At most {MAX_TAGS} tags.")
        return names

    return clean


def _custom(column: Column, options: dict, custom: CustomField | None) -> Cleaner:
    if custom is None:
        raise ValueError(f"No custom field {column.field!r}.")
    pre = {
        CustomFieldKind.DATE: lambda raw: parse_date(raw, options.get("date_order", "dmy")),
        CustomFieldKind.DECIMAL: lambda raw: parse_decimal(
            raw, options.get("decimal_separator", ".")
        ),
        CustomFieldKind.NUMBER: lambda raw: parse_decimal(
            raw, options.get("decimal_separator", ".")
        ),
        CustomFieldKind.BOOL: parse_bool,
    }.get(custom.kind, _as_text)
    return lambda raw: coerce_value(custom, pre(raw))


_BUILDERS: dict[str, Callable[[Column, dict, Any], Cleaner]] = {
    "text": _text,
    "name": _text,
    "email": _email,
    "phone": _phone,
    "country": _country,
    "date": _date,
    "datetime": _datetime,
    "decimal": _decimal,
    "integer": _integer,
    "boolean": _boolean,
    "choice": _choice,
    "lookup": _lookup,
    "tags": _tags,
    "custom": _custom,
}
