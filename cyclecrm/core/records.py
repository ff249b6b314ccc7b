"""The one way to create, update and delete a business record.

Domain services normalize their own fields, then call these, which enforce in one place:
the actor's rights (record level, owner assignment, field restrictions), custom field
validation, model validation (lengths, choices), uniqueness, optimistic concurrency, tags, the
audit history row (same transaction) and the domain event (after commit).
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import F
from django.utils import timezone

from cyclecrm.core.custom_fields import clean_custom_values
from cyclecrm.core.duplicates import duplicate_fields
from cyclecrm.core.errors import Duplicate, Forbidden, NotFound, ValidationFailed, VersionConflict
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import BaseRecord, HistoryAction, Tag, Versioned
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Team, User

R = TypeVar("R", bound=BaseRecord)

# Set by these services, never by callers.
_SYSTEM_FIELDS = {"id", "created_at", "updated_at", "created_by", "updated_by", "version"}


def record_create(
    *,
    actor: User,
    model: type[R],
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> R:
    type_key = model.record_type
    if access.level(actor, type_key, Action.CREATE) == "none":
        raise Forbidden(f"You may not create {type_key} records.")
    data = dict(data)
    _reject_system_fields(data)
    _check_field_rights(actor, type_key, data, custom)
    owner = _resolve_owner(actor, type_key, data.pop("owner_id", actor.pk))
    team = _resolve_team(data.pop("team_id", None), owner)
    now = timezone.now()
    instance = model(
        **data,
        owner=owner,
        team=team,
        created_by=actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
        custom=clean_custom_values(type_key, custom),
    )
    _full_clean(instance)
    with transaction.atomic():
        _save_unique(instance)
        tag_names = _set_tags(instance, tags) if tags is not None else []
        history_record(
            actor=actor,
            instance=instance,
            action=HistoryAction.CREATE,
            changes=diff({}, snapshot(instance, tags=tag_names)),
        )
        emit(Event(f"{type_key}.created", type_key, instance.pk, actor.pk))
    return instance


def record_update(
    *,
    actor: User,
    instance: R,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> R:
    """Apply a partial update. `version` must be the version the caller read."""
    type_key = instance.record_type
    _require(actor, Action.EDIT, instance)
    if version is None:
        raise ValidationFailed(fields={"version": ["Send the version you read."]})
    if version != instance.version:
        raise stale_version(instance.version)
    data = dict(data)
    _reject_system_fields(data)
    _check_field_rights(actor, type_key, data, custom)
    old_tags = _tag_names(instance) if tags is not None else None
    before = snapshot(instance, tags=old_tags)
    if "owner_id" in data:
        instance.owner = _resolve_owner(actor, type_key, data.pop("owner_id"))
    if "team_id" in data:
        instance.team = _resolve_team(data.pop("team_id"), instance.owner, default_to_owner=False)
    for name, value in data.items():
        setattr(instance, name, value)
    if custom is not None:
        instance.custom = clean_custom_values(type_key, custom, existing=instance.custom)
    instance.updated_by = actor
    instance.updated_at = timezone.now()
    _full_clean(instance)
    with transaction.atomic():
        _write_versioned(instance, version)
        new_tags = _set_tags(instance, tags) if tags is not None else None
        changes = diff(before, snapshot(instance, tags=new_tags))
        if changes:
            history_record(
                actor=actor, instance=instance, action=HistoryAction.UPDATE, changes=changes
            )
            emit(
                Event(
                    f"{type_key}.updated",
                    type_key,
                    instance.pk,
                    actor.pk,
                    {"changed": sorted(changes), "changes": changes},
                )
            )
    return instance


def record_delete(*, actor: User, instance: BaseRecord) -> None:
    type_key = instance.record_type
    _require(actor, Action.DELETE, instance)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=instance,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(instance, tags=_tag_names(instance)), {}),
        )
        object_id = instance.pk
        instance.delete()
        emit(Event(f"{type_key}.deleted", type_key, object_id, actor.pk))


def _require(actor: User, action: str, instance: models.Model) -> None:
    if access.can(actor, action, instance):
        return
    if access.can(actor, Action.READ, instance):
        raise Forbidden(f"You may not {action} this record.")
    raise NotFound()


def _reject_system_fields(data: dict[str, Any]) -> None:
    bad = sorted(set(data) & _SYSTEM_FIELDS)
    if bad:
        raise ValidationFailed(fields={name: ["This field is set by the system."] for name in bad})


def _check_field_rights(
    actor: User, type_key: str, data: dict[str, Any], custom: dict[str, Any] | None
) -> None:
    locked = access.access_for(actor).readonly_fields(type_key)
    if not locked:
        return
    names = {name.removesuffix("_id") for name in data} | {f"custom.{k}" for k in custom or {}}
    denied = sorted(names & locked)
    if denied:
        raise Forbidden(
            "Some fields may not be changed by you.",
            fields={name: ["You may not change this field."] for name in denied},
        )


def _resolve_owner(actor: User, type_key: str, owner_id: Any) -> User | None:
    if owner_id is None:
        owner = None
    else:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            raise ValidationFailed(fields={"owner_id": ["No active user with this id."]})
    if not access.can_assign_owner(actor, type_key, owner):
        raise Forbidden(
            "You may not give this record to that owner.",
            fields={"owner_id": ["Outside the owners you may assign."]},
        )
    return owner


def _resolve_team(
    team_id: Any, owner: User | None, *, default_to_owner: bool = True
) -> Team | None:
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise ValidationFailed(fields={"team_id": ["No team with this id."]})
        return team
    if default_to_owner and owner is not None:
        return owner.teams.order_by("id").first()
    return None


# Foreign keys the services set themselves from rows they read (the actor, the resolved owner
# and team): model validation would check each again with a SELECT per write.
_RESOLVED_KEYS = ("owner", "team", "created_by", "updated_by")


def _full_clean(instance: models.Model) -> None:
    try:
        instance.full_clean(
            exclude=["tags", *_RESOLVED_KEYS], validate_unique=False, validate_constraints=False
        )
    except DjangoValidationError as exc:
        raise ValidationFailed(fields=_field_messages(exc)) from exc


def _field_messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field" if name == "__all__" else name): [
                str(m) for e in errors for m in e.messages
            ]
            for name, errors in exc.error_dict.items()
        }
    return {"non_field": list(exc.messages)}


def _save_unique(instance: models.Model) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise _duplicate_error(instance, exc) from exc


def _write_versioned(instance: BaseRecord, version: int) -> None:
    values = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key
        and field.name not in ("version", "created_at", "created_by")
        and field.name not in instance.derived_fields
    }
    try:
        with transaction.atomic():
            updated = (
                type(instance)
                ._default_manager.filter(pk=instance.pk, version=version)
                .update(**values, version=F("version") + 1)
            )
    except IntegrityError as exc:
        raise _duplicate_error(instance, exc) from exc
    if updated == 0:
        # another writer committed between our read and this update: name its version
        current = (
            type(instance)._default_manager.filter(pk=instance.pk).values_list("version", flat=True)
        )
        raise stale_version(current.first())
    instance.version = version + 1


def claim_version(instance: Versioned, version: int | None) -> None:
    """Claim the write of a settings-type record as the holder of `version` (ADR 0037).

    Call it inside the transaction that saves the change, whether or not a field changed: one
    `UPDATE ... SET version = version + 1 WHERE id AND version` that, on PostgreSQL, also holds
    the row until commit, so of two writers of the same version the second finds no row and
    gets the 409; if the save fails, the rollback returns the version too."""
    if version is None:
        raise ValidationFailed(fields={"version": ["Send the version you read."]})
    if version != instance.version:
        raise stale_version(instance.version)
    model = type(instance)
    if not transaction.get_connection(router.db_for_write(model)).in_atomic_block:
        raise RuntimeError("claim_version() must run inside the transaction of the write.")
    manager = model._default_manager
    claimed = manager.filter(pk=instance.pk, version=version).update(version=F("version") + 1)
    if not claimed:
        raise stale_version(
            manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        )
    instance.version = version + 1


def claim_set_version(instance: Versioned, version: int | None, *, existing: bool) -> None:
    """`claim_version` for a create-or-replace (PUT) write: replacing needs the version read;
    creating needs none, and a version sent for a record that is gone is stale."""
    if existing and version is None:
        message = "It exists already: send the version you read to change it."
        raise ValidationFailed(fields={"version": [message]})
    if existing:
        claim_version(instance, version)
    elif version is not None:
        raise stale_version(None)


def stale_version(current: int | None) -> VersionConflict:
    """The 409 of a stale write, naming the version the client should reload."""
    if current is None:
        return VersionConflict(fields={"version": ["The record no longer exists."]})
    return VersionConflict(fields={"version": [f"Current version is {current}."]})


def _duplicate_error(instance: models.Model, exc: IntegrityError) -> Duplicate:
    """The Duplicate naming the fields of the violated unique constraint (see
    `core.duplicates`), or a non-field error when the database does not say which."""
    using = instance._state.db or router.db_for_write(type(instance))
    names = duplicate_fields(type(instance), exc, using)
    if "external_id" in names:
        return Duplicate(fields={"external_id": ["Another record already has this external id."]})
    fields = {name: ["A record with this value already exists."] for name in names}
    return Duplicate(fields=fields or {"non_field": ["Duplicate value."]})


def _tag_names(instance: BaseRecord) -> list[str]:
    return sorted(tag.name for tag in instance.tags.all())


def _set_tags(instance: BaseRecord, names: Iterable[str]) -> list[str]:
    cleaned = sorted({name.strip() for name in names if name and name.strip()})
    too_long = [name for name in cleaned if len(name) > 64]
    if too_long:
        raise ValidationFailed(fields={"tags": ["A tag has at most 64 characters."]})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    missing = [Tag(name=name) for name in cleaned if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    instance.tags.set(existing.values())
    return cleaned
