"""The import target interface: what the engine needs to know about one record type.

A target is mostly declarative: its importable `columns`, the exact-match keys used by the
duplicate policy (`match_keys`, external_id first) and the model. Hooks a type may override:

- `resolve(rows, *, actor, options)`: turn lookup values (an account name, a stage name, an
  owner's username) into ids for a whole chunk at once (one query per lookup), adding a
  `Problem` to rows whose value matches nothing.
- `build(values, *, actor)` / `apply(instance, values)`: cleaned values -> a new unsaved instance,
  or onto an existing one (returns the changed field names).
- `write_created(instances)` / `write_updated(instances, fields)`: the bulk write (default:
  `core.db.vendor.bulk_insert` and `bulk_update`), called inside the chunk's transaction.

Row values are keyed by field name; custom fields as `custom.<key>`; the owner as `owner`
(resolved to `owner_id`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.functions import Lower

# Column kinds the cleaner knows (see cleaning.py).
KINDS = (
    "text",
    "name",
    "email",
    "phone",
    "country",
    "date",
    "datetime",
    "decimal",
    "integer",
    "boolean",
    "choice",
    "lookup",
    "tags",
    "custom",
)


@dataclass(frozen=True)
class Column:
    """One importable field of a target."""

    field: str
    label: str
    kind: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    max_length: int | None = None
    # (value, label) pairs for kind "choice"; a cell matches either, case-insensitively.
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Problem:
    """Why one cell (or a whole row, column "") was rejected. `row` is the spreadsheet row."""

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class CleanRow:
    """One data row after cleansing: its file row number, the raw cells by source header, the
    cleaned values by target field, and its problems (a row with problems is never stored)."""

    row: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def reject(self, column: str, value: Any, reason: str) -> None:
        self.problems.append(Problem(self.row, column, "" if value is None else str(value), reason))


@dataclass(frozen=True)
class MatchKey:
    """An exact-match key: the row's values of `fields`, each passed through `normalize`, must
    all be non-empty; existing records are found by `fields[0] IN (...)` (one query per chunk)
    and compared on all fields in Python."""

    name: str
    fields: tuple[str, ...]
    normalize: Callable[[Any], Any] = lambda value: value
    # Compare the first field lower-cased in SQL (for keys stored in mixed case, e.g. names).
    fold: bool = False

    def of(self, values: dict[str, Any]) -> tuple | None:
        parts = tuple(self.normalize(values.get(name)) for name in self.fields)
        if any(part in (None, "") for part in parts):
            return None
        return parts


@dataclass(frozen=True)
class Preset:
    """Column mapping of another CRM's export (HubSpot, Salesforce, Pipedrive...)."""

    key: str
    label: str
    record_type: str
    mapping: dict[str, str]


class ImportTarget:
    """Base class; subclasses set `record_type`, `label`, `model`, `columns`, `match_keys`."""

    record_type: str = ""
    label: str = ""
    model: type[models.Model]
    columns: tuple[Column, ...] = ()
    match_keys: tuple[MatchKey, ...] = (MatchKey("external_id", ("external_id",)),)
    # Model fields an update never overwrites even when mapped.
    protected_fields: frozenset[str] = frozenset({"external_id"})

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        """Resolve lookup values of a chunk in bulk. The base resolves nothing; the engine
        resolves `owner` for every target."""

    def build(self, values: dict[str, Any], *, actor: Any) -> models.Model:
        """A new unsaved instance from cleaned values (custom.* already folded into `custom`)."""
        return self.model(**values)

    def apply(self, instance: models.Model, values: dict[str, Any]) -> list[str]:
        """Set `values` on an existing instance; return the names of the fields that changed.
        Empty cells do not blank stored values."""
        changed = []
        for name, value in values.items():
            if name in self.protected_fields or value in (None, "", [], {}):
                continue
            if name == "custom":
                merged = {**(instance.custom or {}), **value}
                if merged != instance.custom:
                    instance.custom = merged
                    changed.append("custom")
                continue
            if getattr(instance, name) != value:
                setattr(instance, name, value)
                changed.append(name)
        return changed

    def write_created(self, instances: list[models.Model]) -> None:
        from cyclecrm.core.db.vendor import bulk_insert

        bulk_insert(self.model, instances)

    def write_updated(self, instances: list[models.Model], fields: Iterable[str]) -> None:
        if instances:
            self.model._default_manager.bulk_update(instances, sorted(set(fields)), batch_size=500)

    def find_existing(self, key: MatchKey, wanted: set[tuple]) -> dict[tuple, models.Model]:
        """Existing records for the key values of a chunk: one query."""
        if not wanted:
            return {}
        first = {parts[0] for parts in wanted}
        found: dict[tuple, models.Model] = {}
        queryset = self.model._default_manager.all()
        if key.fold:
            queryset = queryset.annotate(_match_key=Lower(key.fields[0]))
            queryset = queryset.filter(_match_key__in=first)
        else:
            queryset = queryset.filter(**{f"{key.fields[0]}__in": first})
        for instance in queryset.order_by("pk"):
            parts = key.of({name: getattr(instance, name) for name in key.fields})
            if parts in wanted and parts not in found:
                found[parts] = instance
        return found
