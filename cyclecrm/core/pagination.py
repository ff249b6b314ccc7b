"""Keyset (cursor) pagination shared by the API and the web lists.

A list is ordered by a named ordering (a tuple of columns ending in `id`, all ascending or all
descending); the cursor is the opaque encoding of the last row's values for those columns, so
a deep page costs what the first page costs, and rows inserted meanwhile neither repeat nor
vanish. Cursors are signed so a client cannot hand-craft one.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from cyclecrm.core.errors import ValidationFailed

_SIGNER = signing.Signer(salt="cyclecrm.cursor")


@dataclass(frozen=True)
class Ordering:
    """A named, index-backed sort order: `columns` ascending, or descending when `descending`."""

    columns: tuple[str, ...]
    descending: bool = False

    def order_by(self) -> list[str]:
        prefix = "-" if self.descending else ""
        return [f"{prefix}{column}" for column in self.columns]


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    ordering: str


def orderings_with_reverse(base: dict[str, tuple[str, ...]]) -> dict[str, Ordering]:
    """`{"name": ("last_name", "id")}` gives both `name` and `-name`."""
    result: dict[str, Ordering] = {}
    for name, columns in base.items():
        result[name] = Ordering(columns)
        result[f"-{name}"] = Ordering(columns, descending=True)
    return result


def paginate(
    queryset: QuerySet,
    *,
    orderings: dict[str, Ordering],
    ordering: str | None,
    default_ordering: str,
    limit: int,
    cursor: str | None,
) -> Page:
    name = ordering or default_ordering
    if name not in orderings:
        raise ValidationFailed(
            fields={"ordering": [f"Choose one of: {', '.join(sorted(orderings))}."]}
        )
    spec = orderings[name]
    queryset = queryset.order_by(*spec.order_by())
    if cursor:
        queryset = queryset.filter(_after(queryset.model, spec, _decode(cursor, spec)))
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = _encode(items[-1], spec) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor, ordering=name)


def _after(model: type, spec: Ordering, values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in the ordering: a >= x & ((a > x) | (a = x & b > y) | ...).

    The redundant `a >= x` bound lets the database read the ordering index as one range, in
    order: without it SQLite (without ANALYZE statistics) answers the OR with one index search
    per branch and sorts everything after the cursor (`USE TEMP B-TREE FOR ORDER BY`)."""
    op = "lt" if spec.descending else "gt"
    condition = Q(pk__in=[])
    equal = Q()
    typed_values = []
    for column, value in zip(spec.columns, values, strict=True):
        typed = model._meta.get_field(column).to_python(value)
        typed_values.append(typed)
        condition |= equal & Q(**{f"{column}__{op}": typed})
        equal &= Q(**{column: typed})
    if typed_values[0] is None:
        return condition
    return Q(**{f"{spec.columns[0]}__{op}e": typed_values[0]}) & condition


def _encode(row: Any, spec: Ordering) -> str:
    values = []
    for column in spec.columns:
        value = getattr(row, row._meta.get_field(column).attname)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    payload = json.dumps(values, default=str, separators=(",", ":"))
    signed = _SIGNER.sign(payload)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def _decode(cursor: str, spec: Ordering) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        signed = base64.urlsafe_b64decode(padded.encode()).decode()
        values = json.loads(_SIGNER.unsign(signed))
    except (binascii.Error, UnicodeDecodeError, ValueError, signing.BadSignature) as exc:
        raise ValidationFailed(fields={"cursor": ["Invalid cursor."]}) from exc
    if not isinstance(values, list) or len(values) != len(spec.columns):
        raise ValidationFailed(fields={"cursor": ["The cursor belongs to another ordering."]})
    return values
