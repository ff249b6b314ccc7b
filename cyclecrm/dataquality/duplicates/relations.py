"""Every reference to a record, found from the models themselves, and moving them to another
record with an exact log of what changed so a merge can be undone.

References are discovered, not listed by hand, so a model added later is moved too:
- every ForeignKey / OneToOne pointing at the model (`_meta.related_objects`),
- the through rows of many-to-many relations pointing at it (interaction attendees, ...),
- the integer references by (record type, object id) in `GENERIC_REFERENCES` (history,
  shares, workflow runs), which the ORM cannot know about.

A move that would break a unique constraint (both records in the same segment, mailing or
loyalty programme, each with a one-to-one insight) is a collision: the merged record's row is
folded into the survivor's row (its own children move there, recursively) and then dropped; the
dropped row is kept serialized in the log. `COLLISION_HOOKS` adjust the survivor's row after a
fold (a loyalty membership's balance is recomputed from its ledger); `REKEY` lists rows that
must never be dropped (ledger entries), whose colliding key is suffixed instead.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q, QuerySet

# (model label, field naming the record type, field holding the record id)
GENERIC_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("core.HistoryEntry", "record_type", "object_id"),
    ("identity.RecordShare", "record_type", "object_id"),
    ("automation.WorkflowRun", "record_type_key", "object_id"),
)

# Rows never dropped on a collision: the colliding key field gets a suffix instead.
REKEY: dict[str, str] = {"loyalty.PointsEntry": "source_key"}

Op = dict[str, Any]


@dataclass(frozen=True)
class Reference:
    model: type[models.Model]
    column: str
    type_field: str = ""
    type_key: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label

    def rows(self, target_id: int) -> QuerySet:
        lookup: dict[str, Any] = {self.column: target_id}
        if self.type_field:
            lookup[self.type_field] = self.type_key
        return self.model._base_manager.filter(**lookup)


def references(model: type[models.Model]) -> list[Reference]:
    """Every place a row of `model` is referenced from (its own tags excluded: a merge sets
    them on the survivor through the normal record update)."""
    refs: list[Reference] = []
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            through = rel.through
            field = next(
                f
                for f in through._meta.concrete_fields
                if f.is_relation and f.related_model is model
            )
            refs.append(Reference(through, field.attname))
        else:
            refs.append(Reference(rel.related_model, rel.field.attname))
    type_key = getattr(model, "record_type", "")
    if isinstance(type_key, str) and type_key:
        for label, type_field, id_field in GENERIC_REFERENCES:
            refs.append(Reference(apps.get_model(label), id_field, type_field, type_key))
    return refs


def _unique_sets(model: type[models.Model], column: str) -> list[tuple[list[str], Q | None]]:
    """The unique column sets of `model` that contain `column`, with their condition."""
    meta = model._meta
    sets: list[tuple[list[str], Q | None]] = []
    for field in meta.concrete_fields:
        if field.unique and not field.primary_key and field.attname == column:
            sets.append(([column], None))
    for together in meta.unique_together:
        sets.append(([meta.get_field(name).attname for name in together], None))
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            names = [meta.get_field(name).attname for name in constraint.fields]
            sets.append((names, constraint.condition))
    return [(names, condition) for names, condition in sets if column in names]


def _counterpart(
    ref: Reference, row: models.Model, to_id: int, sets: list[tuple[list[str], Q | None]]
) -> models.Model | None:
    """The row already pointing at `to_id` that `row` would collide with, if any."""
    manager = ref.model._base_manager
    for names, condition in sets:
        if condition is not None and not manager.filter(condition, pk=row.pk).exists():
            continue
        lookup = {name: getattr(row, name) for name in names if name != ref.column}
        if any(value is None for value in lookup.values()):
            continue
        found = ref.rows(to_id).filter(**lookup)
        if condition is not None:
            found = found.filter(condition)
        hit = found.first()
        if hit is not None:
            return hit
    return None


class _ExactEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts datetimes to milliseconds; an exact undo needs microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def serialize(rows: list[models.Model]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (Django's "python" format), exact to the microsecond."""
    return json.loads(json.dumps(serializers.serialize("python", rows), cls=_ExactEncoder))


def deserialize(data: list[dict[str, Any]]) -> Iterator[Any]:
    return serializers.deserialize("python", data)


def restore(data: list[dict[str, Any]]) -> None:
    """Insert serialized rows again with their primary keys (raw save: no model `save()`)."""
    for item in deserialize(data):
        item.save()


def move_references(model: type[models.Model], from_id: int, to_id: int, ops: list[Op]) -> None:
    """Point every reference to `from_id` at `to_id`, appending each change to `ops`."""
    for ref in references(model):
        rows = ref.rows(from_id)
        if ref.model is model:
            _unlink_self(ref, to_id, from_id, ops)
            rows = rows.exclude(pk=to_id)
        sets = _unique_sets(ref.model, ref.column)
        if sets:
            for row in list(rows):
                other = _counterpart(ref, row, to_id, sets)
                if other is not None:
                    _collide(ref, row, other, ops)
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            _set(ref, ids, ref.column, from_id, to_id, ops)


def _unlink_self(ref: Reference, to_id: int, from_id: int, ops: list[Op]) -> None:
    """The survivor pointing at the merged record (an account's parent) would point at itself."""
    if ref.rows(from_id).filter(pk=to_id).exists():
        _set(ref, [to_id], ref.column, from_id, None, ops)


def _set(ref: Reference, ids: list[Any], column: str, old: Any, new: Any, ops: list[Op]) -> None:
    ref.model._base_manager.filter(pk__in=ids).update(**{column: new})
    ops.append(
        {"op": "set", "model": ref.label, "column": column, "ids": ids, "from": old, "to": new}
    )


def _collide(ref: Reference, row: models.Model, other: models.Model, ops: list[Op]) -> None:
    rekey = REKEY.get(ref.label)
    if rekey:
        old = getattr(row, rekey)
        new = f"{old}~{row.pk}"[-100:]
        _set(ref, [row.pk], rekey, old, new, ops)
        return
    move_references(ref.model, row.pk, other.pk, ops)
    ops.append({"op": "drop", "model": ref.label, "rows": serialize([row])})
    ref.model._base_manager.filter(pk=row.pk).delete()
    hook = COLLISION_HOOKS.get(ref.label)
    if hook:
        hook(other, ops)


def _loyalty_rebalance(member: models.Model, ops: list[Op]) -> None:
    """Ledger entries moved into this membership: its balance is the ledger's sum again."""
    from cyclecrm.loyalty.ledger import balance_from_ledger

    member.refresh_from_db()
    balance = balance_from_ledger(member)
    if balance != member.balance:
        ref = Reference(type(member), "id")
        _set(ref, [member.pk], "balance", member.balance, balance, ops)


COLLISION_HOOKS: dict[str, Callable[[models.Model, list[Op]], None]] = {
    "loyalty.Member": _loyalty_rebalance,
}


class UndoImpossible(Exception):
    """A row moved by the merge changed since; the log cannot be replayed backwards exactly."""


def reverse_ops(ops: list[Op]) -> None:
    """Replay `ops` backwards; raise UndoImpossible when a row no longer holds what the merge
    wrote (call inside a transaction so a refusal leaves nothing half-undone)."""
    for op in reversed(ops):
        model = apps.get_model(op["model"])
        if op["op"] == "drop":
            _restore_dropped(model, op["rows"])
            continue
        rows = model._base_manager.filter(pk__in=op["ids"], **{op["column"]: op["to"]})
        if op["to"] is None:
            rows = model._base_manager.filter(pk__in=op["ids"], **{f"{op['column']}__isnull": True})
        if rows.count() != len(op["ids"]):
            raise UndoImpossible(f"Some {model._meta.verbose_name_plural} changed since the merge.")
        rows.update(**{op["column"]: op["from"]})


def _restore_dropped(model: type[models.Model], data: list[dict[str, Any]]) -> None:
    pks = [item.object.pk for item in deserialize(data)]
    if model._base_manager.filter(pk__in=pks).exists():
        raise UndoImpossible(f"A {model._meta.verbose_name} removed by the merge exists again.")
    restore(data)
