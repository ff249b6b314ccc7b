"""Validation and coercion of custom field values against their definitions."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from cyclecrm.core.db import json_list_contains
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.models import CustomField, CustomFieldKind

# Whole numbers beyond this lose precision in JavaScript clients reading the JSON.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DECIMAL = Decimal(10) ** 15
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off", ""}


def definitions(record_type: str) -> list[CustomField]:
    return list(CustomField.objects.filter(record_type=record_type, is_active=True))


def clean_custom_values(
    record_type: str,
    values: dict[str, Any] | None,
    *,
    existing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the record's new `custom` dict, or raise ValidationFailed naming `custom.<key>`.

    `values` is what the caller sends (a partial update merges into `existing`); a value of
    None clears the field. Unknown keys are rejected rather than silently stored.
    """
    merged = dict(existing or {})
    errors = FieldErrors()
    defs = {field.key: field for field in definitions(record_type)}
    for key, raw in (values or {}).items():
        field = defs.get(key)
        if field is None:
            errors.add(f"custom.{key}", "Unknown custom field.")
            continue
        if raw is None or raw == "" or raw == []:
            merged.pop(key, None)
            continue
        try:
            merged[key] = coerce_value(field, raw)
        except ValueError as exc:
            errors.add(f"custom.{key}", str(exc))
    for key, field in defs.items():
        if field.required and merged.get(key) in (None, "", []):
            errors.add(f"custom.{key}", "This field is required.")
    errors.raise_if_any()
    return {key: merged[key] for key in merged if key in defs}


def coerce_value(field: CustomField, raw: Any) -> Any:
    """Coerce one raw value to its JSON-storable form; ValueError carries the user-facing reason."""
    coercer = _COERCERS[field.kind]
    return coercer(field, raw)


def _text(field: CustomField, raw: Any) -> str:
    if not isinstance(raw, str | int | float | Decimal):
        raise ValueError("Enter text.")
    value = str(raw).strip()
    limit = field.max_length or 1000
    if len(value) > limit:
        raise ValueError(f"At most {limit} characters (got {len(value)}).")
    return value


def plain_number(value: Decimal) -> str:
    """`value` in plain notation without trailing zeros: `10`, `0.5`, `1000000` (never the
    `1E+1` that `Decimal.normalize()` prints on its own)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _bounded(field: CustomField, value: Decimal) -> None:
    if field.min_value is not None and value < field.min_value:
        raise ValueError(f"Must be at least {plain_number(field.min_value)}.")
    if field.max_value is not None and value > field.max_value:
        raise ValueError(f"Must be at most {plain_number(field.max_value)}.")


def _number(field: CustomField, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("Enter a whole number.")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError("Enter a whole number.") from exc
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError("Enter a whole number.")
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"Must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}.")
    _bounded(field, value)
    return int(value)


def _decimal(field: CustomField, raw: Any) -> str:
    if isinstance(raw, bool):
        raise ValueError("Enter a number.")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError("Enter a number.") from exc
    if not value.is_finite() or abs(value) >= MAX_DECIMAL:
        raise ValueError(f"Enter a number below {MAX_DECIMAL:,}.")
    _bounded(field, value)
    return str(value)


def _date(field: CustomField, raw: Any) -> str:
    if isinstance(raw, dt.date):
        return raw.isoformat()
    try:
        return dt.date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError as exc:
        raise ValueError("Enter a date as YYYY-MM-DD.") from exc


def _bool(field: CustomField, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("Enter true or false.")


def _choice(field: CustomField, raw: Any) -> str:
    value = str(raw).strip()
    if value not in field.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(field.choices)}.")
    return value


def _multi_choice(field: CustomField, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [part for part in str(raw).split(",")]
    values = [str(item).strip() for item in items if str(item).strip()]
    unknown = [value for value in values if value not in field.choices]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} not among {', '.join(field.choices)}.")
    return sorted(set(values), key=values.index)


_COERCERS = {
    CustomFieldKind.TEXT: _text,
    CustomFieldKind.NUMBER: _number,
    CustomFieldKind.DECIMAL: _decimal,
    CustomFieldKind.DATE: _date,
    CustomFieldKind.BOOL: _bool,
    CustomFieldKind.CHOICE: _choice,
    CustomFieldKind.MULTI_CHOICE: _multi_choice,
}


def custom_filter_q(record_type: str, params: dict[str, str]) -> Q:
    """Turn `cf.<key>=value` list parameters into ORM lookups on the `custom` JSON field.

    Values are coerced like input, so `cf.vip=yes` matches a stored `true`. Unknown keys and bad
    values raise ValidationFailed naming the parameter.
    """
    condition = Q()
    wanted = {name[3:]: value for name, value in params.items() if name.startswith("cf.")}
    if not wanted:
        return condition
    defs = {field.key: field for field in definitions(record_type)}
    errors = FieldErrors()
    for key, raw in wanted.items():
        field = defs.get(key)
        if field is None:
            errors.add(f"cf.{key}", "Unknown custom field.")
            continue
        try:
            value = coerce_value(field, raw)
        except ValueError as exc:
            errors.add(f"cf.{key}", str(exc))
            continue
        if field.kind == CustomFieldKind.MULTI_CHOICE:
            for item in value:
                condition &= json_list_contains(f"custom__{key}", item)
        else:
            condition &= Q(**{f"custom__{key}": value})
    errors.raise_if_any()
    return condition
