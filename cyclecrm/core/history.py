"""Audit history: snapshots of a record's tracked fields and the diff between two of them."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from cyclecrm.core.context import request_id_var
from cyclecrm.core.models import HistoryAction, HistoryEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def tracked_fields(instance: models.Model) -> list[models.Field]:
    exclude = getattr(instance, "history_exclude", frozenset())
    return [
        field
        for field in instance._meta.concrete_fields
        if field.name not in exclude and field.name != "version" and not field.primary_key
    ]


def snapshot(instance: models.Model, *, tags: list[str] | None = None) -> dict[str, Any]:
    """The tracked state of a record; custom fields flatten to `custom.<key>`."""
    state: dict[str, Any] = {}
    for field in tracked_fields(instance):
        if field.name == "custom":
            for key, value in (instance.custom or {}).items():
                state[f"custom.{key}"] = value
            continue
        state[field.attname] = _jsonable(getattr(instance, field.attname))
    if tags is not None:
        state["tags"] = sorted(tags)
    return state


_PLAIN = (str, int, bool, float, type(None))
_tracked_by_model: dict[type, list[tuple[str, bool]]] = {}


def creation_changes(
    instance: models.Model, *, tags: list[str] | None = None
) -> dict[str, list[Any]]:
    """`diff({}, snapshot(instance, tags=tags))`, the history of a new record, without the
    intermediate snapshot: an import writes one per row, and the generic pair was a quarter
    of its time. The tracked fields of each model are listed once."""
    fields = _tracked_by_model.get(type(instance))
    if fields is None:
        fields = [(field.attname, field.name == "custom") for field in tracked_fields(instance)]
        _tracked_by_model[type(instance)] = fields
    state = instance.__dict__
    changes: dict[str, list[Any]] = {}
    for attname, is_custom in fields:
        if is_custom:
            for key, value in (instance.custom or {}).items():
                if value is not None:
                    changes[f"custom.{key}"] = [None, value]
            continue
        value = state[attname] if attname in state else getattr(instance, attname)
        if value is None:
            continue
        changes[attname] = [None, value if value.__class__ in _PLAIN else _jsonable(value)]
    if tags is not None:
        changes["tags"] = [None, sorted(tags)]
    return changes


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys([*before, *after]))
    return {
        key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)
    }


def history_record(
    *,
    actor: Any,
    instance: models.Model,
    action: HistoryAction,
    changes: dict[str, list[Any]],
) -> HistoryEntry:
    """Write one history row; call inside the transaction that made the change."""
    return HistoryEntry.objects.create(
        record_type=instance.record_type,
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        changes=changes,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        request_id=request_id_var.get(),
    )


def history_list(*, actor: Any, instance: models.Model) -> models.QuerySet[HistoryEntry]:
    """The record's history, newest first. The caller has already fetched `instance` through a
    selector (so the actor may read it); fields hidden from the actor are removed from each
    entry by `visible_changes`."""
    return HistoryEntry.objects.filter(
        record_type=instance.record_type, object_id=instance.pk
    ).select_related("actor")


def visible_changes(actor: Any, record_type: str, changes: dict[str, Any]) -> dict[str, Any]:
    from cyclecrm.identity.access import access_for

    hidden = access_for(actor).hidden_fields(record_type)
    if not hidden:
        return changes
    return {
        name: value
        for name, value in changes.items()
        if name not in hidden and name.removesuffix("_id") not in hidden
    }
