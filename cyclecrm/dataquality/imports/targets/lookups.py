"""Bulk lookups shared by the import targets of opportunities, orders and interactions: the
linked account or contact of each row, found by external id first and then by name or e-mail,
among the records the acting user may see, with one query per lookup column and chunk."""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.db.models.functions import Lower

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.normalize import normalize_email
from cyclecrm.dataquality.imports.targets.base import CleanRow
from cyclecrm.identity import access

NOT_FOUND = "No {label} you may see has this {what}."
SEVERAL = "Several {label}s have this {what}; use the external id."


def first_id(value: Any) -> str:
    """HubSpot exports associations as `123;456`: the first id is the one linked."""
    text = str(value or "").strip()
    for separator in (";", ","):
        text = text.split(separator, 1)[0].strip()
    return text


def _email_key(value: Any) -> str:
    try:
        return normalize_email(str(value or ""))
    except ValueError:
        return str(value or "").strip().casefold()


def _name_key(value: Any) -> str:
    return " ".join(str(value or "").casefold().split())


def _key(field: str) -> Callable[[Any], str]:
    if field == "email":
        return _email_key
    return _name_key if field != "external_id" else lambda value: str(value or "").strip()


def _index(queryset: models.QuerySet, field: str, keys: set[str]) -> dict[str, list[int]]:
    """{key: [ids]} of the records whose `field` has one of `keys` (names compared folded)."""
    found: dict[str, list[int]] = {}
    if not keys:
        return found
    key = _key(field)
    if field in ("email", "external_id"):
        matching = queryset.filter(**{f"{field}__in": keys})
    else:
        matching = queryset.annotate(_folded=Lower(field)).filter(_folded__in=keys)
    for pk, value in matching.values_list("pk", field):
        found.setdefault(key(value), []).append(pk)
    return found


def link(
    rows: list[CleanRow],
    *,
    actor: Any,
    model: type[models.Model],
    target: str,
    by: Iterable[tuple[str, str, str]],
) -> None:
    """Resolve the columns `by` = [(value field, model field, what it is)], tried in order, to
    `<target>_id` on each row. Every lookup column is removed from the values; a value that
    matches nothing (or several records) rejects the row naming the column."""
    by = list(by)
    visible = access.restrict(model._default_manager.all(), actor)
    label = model._meta.verbose_name
    indexes = {}
    for column, field, _what in by:
        keys = {_key(field)(_value(row, column)) for row in rows if row.ok and _value(row, column)}
        indexes[column] = _index(visible, field, keys)
    for row in rows:
        values = {column: _value(row, column) for column, _field, _what in by}
        for column, _field, _what in by:
            row.values.pop(column, None)
        if row.ok:
            _link_row(row, values, indexes, target, label, by)


def _link_row(
    row: CleanRow,
    values: dict[str, str],
    indexes: dict[str, dict[str, list[int]]],
    target: str,
    label: str,
    by: list[tuple[str, str, str]],
) -> None:
    """The first lookup column whose value matches exactly one record links it; when none
    does, the row is rejected naming the first column that had a value."""
    failed: tuple[str, str] | None = None
    for column, field, what in by:
        if not values[column]:
            continue
        ids = indexes[column].get(_key(field)(values[column]), [])
        if len(ids) == 1:
            row.values[f"{target}_id"] = ids[0]
            return
        if failed is None:
            failed = (column, (NOT_FOUND if not ids else SEVERAL).format(label=label, what=what))
    if failed is not None:
        row.reject(failed[0], values[failed[0]], failed[1])


def _value(row: CleanRow, column: str) -> str:
    value = row.values.get(column)
    if value in (None, ""):
        return ""
    return first_id(value) if column.endswith("external_id") else str(value).strip()


def link_customer(rows: list[CleanRow], *, actor: Any) -> None:
    """Resolve the contact (by external id, then e-mail) and the account (by external id, then
    name) columns that deals, orders and interactions share."""
    link(
        rows,
        actor=actor,
        model=Contact,
        target="contact",
        by=[
            ("contact_external_id", "external_id", "external id"),
            ("contact_email", "email", "e-mail address"),
        ],
    )
    link(
        rows,
        actor=actor,
        model=Account,
        target="account",
        by=[
            ("account_external_id", "external_id", "external id"),
            ("account_name", "name", "name"),
        ],
    )
