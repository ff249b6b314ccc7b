"""Merging two records of one type into a survivor, and undoing a merge exactly.

A merge, in one transaction: both records are locked, serialized whole (fields, custom, tags)
into a MergeRecord, every reference to the merged record moves to the survivor
(`relations.move_references`, each change logged with its previous value), the merged record
is deleted (a history entry on its id says where it went), and the chosen values reach the
survivor through `record_update` (rights, validation, history, version, event).

Undo replays the log backwards, re-inserts the merged record with its primary key and exact
row, and puts the survivor's before-image back. The survivor's `version` is the one value not
restored: it moves forward (current + 1), so a client still holding the merged state gets a
version conflict instead of overwriting the restored record. Undo is refused (409) when the
survivor changed after the merge or a moved row no longer points where the merge put it.
"""

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from cyclecrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import history_record
from cyclecrm.core.models import BaseRecord, HistoryAction
from cyclecrm.core.records import record_update
from cyclecrm.core.registry import record_type
from cyclecrm.dataquality.duplicates import relations
from cyclecrm.dataquality.models import MergeRecord
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User

MERGE_TYPES = ("contact", "account", "lead")
_NOT_CHOSEN = {"id", "created_at", "updated_at", "created_by", "updated_by", "version", "custom"}


def merge_model(type_key: str) -> type[BaseRecord]:
    if type_key not in MERGE_TYPES:
        raise ValidationFailed(fields={"record_type": [f"Merging {type_key} is not supported."]})
    return record_type(type_key).model


def merge_fields(model: type[BaseRecord]) -> list[models.Field]:
    """The fields a reviewer chooses a value for (custom fields come as `custom.<key>`)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable
        and field.name not in _NOT_CHOSEN
        and field.name not in model.derived_fields
    ]


def field_value(record: BaseRecord, name: str) -> Any:
    if name.startswith("custom."):
        return (record.custom or {}).get(name.removeprefix("custom."))
    return getattr(record, name)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def default_choices(records: list[BaseRecord], names: list[str]) -> dict[str, int]:
    """Per field, the id of the record whose value wins by default: the most recently updated
    record with a non-empty value (the first record when all are empty)."""
    newest = sorted(records, key=lambda r: (r.updated_at, r.pk), reverse=True)
    choices = {}
    for name in names:
        winner = next((r for r in newest if not is_empty(field_value(r, name))), records[0])
        choices[name] = winner.pk
    return choices


def choice_names(model: type[BaseRecord], records: list[BaseRecord]) -> list[str]:
    keys = sorted({key for record in records for key in (record.custom or {})})
    return [field.attname for field in merge_fields(model)] + [f"custom.{key}" for key in keys]


def _locked(model: type[BaseRecord], ids: list[int]) -> dict[int, BaseRecord]:
    rows = model._default_manager.select_for_update().filter(pk__in=ids)
    return {row.pk: row for row in rows}


def _check_rights(actor: User, records: list[BaseRecord]) -> None:
    if access.level(actor, "duplicate", Action.EDIT) == "none":
        raise Forbidden("You may not review duplicates.")
    for record in records:
        if not access.can(actor, Action.READ, record):
            raise NotFound()
        if not access.can(actor, Action.EDIT, record):
            raise Forbidden("You may not edit every record of this merge.")


def _chosen_data(
    records: dict[int, BaseRecord], survivor: BaseRecord, choices: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    allowed = set(choice_names(type(survivor), list(records.values())))
    for name, record_id in choices.items():
        if name not in allowed:
            raise ValidationFailed(fields={f"values.{name}": ["Not a field you can choose."]})
        if record_id not in records:
            raise ValidationFailed(fields={f"values.{name}": ["Not one of the merged records."]})
        value = field_value(records[record_id], name)
        if name.startswith("custom."):
            custom[name.removeprefix("custom.")] = value
        elif value != getattr(survivor, name):
            data[name] = value
    return data, custom


def record_merge(
    *,
    actor: User,
    type_key: str,
    survivor_id: int,
    merged_id: int,
    choices: dict[str, int] | None = None,
    cluster_id: int | None = None,
) -> MergeRecord:
    """Merge `merged_id` into `survivor_id`; `choices` maps a field to the record whose value
    the survivor keeps (fields not named keep the survivor's value)."""
    model = merge_model(type_key)
    if survivor_id == merged_id:
        raise ValidationFailed(fields={"merged_id": ["A record cannot be merged into itself."]})
    with transaction.atomic():
        records = _locked(model, [survivor_id, merged_id])
        if len(records) != 2:
            raise NotFound()
        survivor, merged = records[survivor_id], records[merged_id]
        _check_rights(actor, [survivor, merged])
        data, custom = _chosen_data(records, survivor, choices or {})
        tags = sorted({t.name for r in (survivor, merged) for t in r.tags.all()})
        before = {
            "survivor": relations.serialize([survivor]),
            "merged": relations.serialize([merged]),
        }
        ops: list[relations.Op] = []
        relations.move_references(model, merged.pk, survivor.pk, ops)
        _delete_merged(actor, merged, survivor)
        survivor.refresh_from_db()
        survivor = record_update(
            actor=actor,
            instance=survivor,
            data=data,
            version=survivor.version,
            tags=tags,
            custom=custom or None,
        )
        history_record(
            actor=actor,
            instance=survivor,
            action=HistoryAction.UPDATE,
            changes={"merged_from": [None, merged.pk]},
        )
        return MergeRecord.objects.create(
            record_type=type_key,
            survivor_id=survivor.pk,
            merged_id=merged_id,
            snapshot={**before, "ops": ops, "version_after": survivor.version},
            chosen=choices or {},
            cluster_id=cluster_id,
            actor=actor,
        )


def _delete_merged(actor: User, merged: BaseRecord, survivor: BaseRecord) -> None:
    history_record(
        actor=actor,
        instance=merged,
        action=HistoryAction.DELETE,
        changes={"merged_into": [None, survivor.pk]},
    )
    merged_id = merged.pk
    type(merged)._base_manager.filter(pk=merged_id).delete()
    emit(Event(f"{merged.record_type}.deleted", merged.record_type, merged_id, actor.pk))


def merge_undo(*, actor: User, merge: MergeRecord) -> BaseRecord:
    """Restore both records of `merge` exactly; 409 when that is no longer possible."""
    model = merge_model(merge.record_type)
    if merge.undone_at is not None:
        raise Conflict("This merge was already undone.", code="already_undone")
    with transaction.atomic():
        survivor = _locked(model, [merge.survivor_id]).get(merge.survivor_id)
        if survivor is None:
            raise Conflict("The surviving record was deleted; the merge cannot be undone.")
        _check_rights(actor, [survivor])
        if survivor.version != merge.snapshot["version_after"]:
            raise Conflict(
                "The surviving record changed after the merge; undo the later change first.",
                code="changed_since_merge",
            )
        if model._base_manager.filter(pk=merge.merged_id).exists():
            raise Conflict("The merged record exists again.", code="changed_since_merge")
        relations.restore(merge.snapshot["merged"])
        try:
            relations.reverse_ops(merge.snapshot["ops"])
        except relations.UndoImpossible as exc:
            raise Conflict(str(exc), code="changed_since_merge") from exc
        restored = _restore_survivor(model, merge, survivor.version + 1)
        _record_undo(actor, merge, restored)
    return restored


def _restore_survivor(model: type[BaseRecord], merge: MergeRecord, version: int) -> BaseRecord:
    item = next(relations.deserialize(merge.snapshot["survivor"]))
    item.object.version = version
    item.save()
    return model._default_manager.get(pk=merge.survivor_id)


def _record_undo(actor: User, merge: MergeRecord, survivor: BaseRecord) -> None:
    merged = type(survivor)._default_manager.get(pk=merge.merged_id)
    for instance, key in ((survivor, "unmerged"), (merged, "restored_from")):
        other = merged.pk if instance is survivor else survivor.pk
        changes = {key: [None, other]}
        history_record(actor=actor, instance=instance, action=HistoryAction.UPDATE, changes=changes)
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
