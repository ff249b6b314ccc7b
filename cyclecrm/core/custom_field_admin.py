"""Writes for custom field definitions: what admins add to a record type's form, API and CSV.

A definition's record type, key and kind are fixed once created: stored values are keyed by
`key` and were coerced for `kind`, so changing either would strand them. To change one, create a
new field (and deactivate the old one).
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import BaseRecord, CustomField, CustomFieldKind, HistoryAction
from cyclecrm.core.records import claim_version
from cyclecrm.core.registry import record_types
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

HISTORY_TYPE = "custom_field"
KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
CHOICE_KINDS = {CustomFieldKind.CHOICE, CustomFieldKind.MULTI_CHOICE}
BOUNDED_KINDS = {CustomFieldKind.NUMBER, CustomFieldKind.DECIMAL}
EDITABLE = {"label", "choices", "required", "min_value", "max_value", "max_length", "help_text",
            "position", "is_active"}  # fmt: skip
FIXED = {"record_type", "key", "kind"}
MAX_CHOICES = 200
DUPLICATE_KEY = "This record type already has a field with this key."


@dataclass(frozen=True)
class _Audited:
    """What the history row is about. `history_record` reads `record_type` from the instance,
    which on a definition is a column (the type the field belongs to), so it gets this stand-in."""

    pk: int
    label: str
    record_type: str = HISTORY_TYPE

    def __str__(self) -> str:
        return self.label


def _require_all(actor: User, action: str) -> None:
    if access.level(actor, HISTORY_TYPE, action) != Level.ALL:
        raise Forbidden(f"You may not {action} custom fields.")


def custom_record_types() -> list[str]:
    """Record types whose records carry custom values."""
    return sorted(key for key, item in record_types().items() if issubclass(item.model, BaseRecord))


def _snapshot(field: CustomField) -> dict[str, Any]:
    state = {name: getattr(field, name) for name in sorted(FIXED | EDITABLE)}
    for name in ("min_value", "max_value"):
        if state[name] is not None:
            state[name] = str(state[name])
    return state


def _check_fixed(data: dict[str, Any], errors: FieldErrors) -> None:
    if data.get("record_type") not in custom_record_types():
        errors.add("record_type", f"Choose one of: {', '.join(custom_record_types())}.")
    if not KEY.match(str(data.get("key") or "")):
        errors.add("key", "Lower-case letters, digits and _, starting with a letter (max 50).")
    if data.get("kind") not in CustomFieldKind.values:
        errors.add("kind", f"Choose one of: {', '.join(CustomFieldKind.values)}.")


def _check_text(state: dict[str, Any], errors: FieldErrors) -> None:
    state["label"] = str(state.get("label") or "").strip()
    if not state["label"]:
        errors.add("label", "This field is required.")
    elif len(state["label"]) > 100:
        errors.add("label", "At most 100 characters.")
    state["help_text"] = str(state.get("help_text") or "").strip()
    if len(state["help_text"]) > 200:
        errors.add("help_text", "At most 200 characters.")
    position = state.get("position")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        errors.add("position", "A whole number of at least 0.")


def _check_choices(state: dict[str, Any], errors: FieldErrors) -> None:
    raw = state.get("choices") or []
    if not isinstance(raw, list):
        errors.add("choices", "A list of texts.")
        return
    choices = [str(item).strip() for item in raw]
    if state["kind"] in CHOICE_KINDS:
        if not choices or not all(choices):
            errors.add("choices", "A choice field needs a list of non-empty choices.")
        elif len(set(choices)) != len(choices):
            errors.add("choices", "Choices must be distinct.")
        elif len(choices) > MAX_CHOICES or any(len(item) > 100 for item in choices):
            errors.add("choices", f"At most {MAX_CHOICES} choices of at most 100 characters.")
    elif choices:
        errors.add("choices", "Only choice fields have choices.")
    state["choices"] = choices


def _decimal(value: Any, name: str, errors: FieldErrors) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        errors.add(name, "A number below 10^14 in size.")
        return None
    return number.quantize(Decimal("0.000001"))


def _check_limits(state: dict[str, Any], errors: FieldErrors) -> None:
    kind = state["kind"]
    for name in ("min_value", "max_value"):
        state[name] = _decimal(state.get(name), name, errors)
        if state[name] is not None and kind not in BOUNDED_KINDS:
            errors.add(name, "Only number and decimal fields have bounds.")
    low, high = state["min_value"], state["max_value"]
    if low is not None and high is not None and low > high:
        errors.add("max_value", "Must not be below min_value.")
    max_length = state.get("max_length")
    if max_length is not None:
        if kind != CustomFieldKind.TEXT:
            errors.add("max_length", "Only text fields have a maximum length.")
        elif isinstance(max_length, bool) or not isinstance(max_length, int):
            errors.add("max_length", "A whole number between 1 and 10000.")
        elif not 1 <= max_length <= 10000:
            errors.add("max_length", "Between 1 and 10000.")


def _validated(state: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    _check_text(state, errors)
    _check_choices(state, errors)
    _check_limits(state, errors)
    for name in ("required", "is_active"):
        state[name] = bool(state.get(name))
    errors.raise_if_any()
    return state


def _unknown(data: dict[str, Any], allowed: set[str], errors: FieldErrors) -> None:
    for name in sorted(set(data) - allowed):
        errors.add(name, "Unknown field.")


def custom_field_create(*, actor: User, data: dict[str, Any]) -> CustomField:
    _require_all(actor, Action.CREATE)
    errors = FieldErrors()
    _unknown(data, FIXED | EDITABLE, errors)
    _check_fixed(data, errors)
    errors.raise_if_any()
    if CustomField.objects.filter(record_type=data["record_type"], key=data["key"]).exists():
        raise Duplicate(fields={"key": [DUPLICATE_KEY]})
    defaults = {"position": 0, "required": False, "is_active": True, "choices": []}
    state = _validated({**defaults, **data}, errors)
    field = CustomField(**state)
    try:
        with transaction.atomic():
            field.save()
            _audit(actor, field, HistoryAction.CREATE, diff({}, _snapshot(field)))
    except IntegrityError as exc:
        raise Duplicate(fields={"key": [DUPLICATE_KEY]}) from exc
    return field


def custom_field_update(
    *, actor: User, field: CustomField, data: dict[str, Any], version: int | None
) -> CustomField:
    _require_all(actor, Action.EDIT)
    errors = FieldErrors()
    _unknown(data, FIXED | EDITABLE, errors)
    for name in sorted(FIXED & set(data)):
        if data[name] != getattr(field, name):
            errors.add(name, "Cannot be changed; create a new field instead.")
    errors.raise_if_any()
    before = _snapshot(field)
    current = {name: getattr(field, name) for name in FIXED | EDITABLE}
    state = _validated({**current, **{k: v for k, v in data.items() if k in EDITABLE}}, errors)
    for name in EDITABLE:
        setattr(field, name, state[name])
    changes = diff(before, _snapshot(field))
    with transaction.atomic():
        claim_version(field, version)
        field.save()
        if changes:
            _audit(actor, field, HistoryAction.UPDATE, changes)
    return field


def custom_field_delete(*, actor: User, field: CustomField) -> None:
    """Delete the definition. Records keep the stored value until they are next saved, when it
    is dropped; exports and forms stop showing it at once. Deactivate to keep the data."""
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        _audit(actor, field, HistoryAction.DELETE, diff(_snapshot(field), {}))
        field.delete()


def _audit(actor: User, field: CustomField, action: HistoryAction, changes: dict) -> None:
    subject = _Audited(field.pk, str(field))
    history_record(actor=actor, instance=subject, action=action, changes=changes)  # type: ignore[arg-type]
