"""Writes for tags as objects of their own (rename, colour, delete). Records pick tags by name
through the record services, which create missing tags; this is the tag list admins curate."""

import re
from typing import Any

from django.db import IntegrityError, transaction

from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction, Tag
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

TAG_FIELDS = {"name", "color"}
NAME_MAX = 64
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DUPLICATE_NAME = "A tag with this name already exists."


def _require_all(actor: User, action: str) -> None:
    """Tags are shared by everyone: changing one takes the `all` level."""
    if access.level(actor, Tag.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} tags.")


def _snapshot(tag: Tag) -> dict[str, Any]:
    return {"name": tag.name, "color": tag.color}


def _clean(data: dict[str, Any], *, exclude_pk: int | None = None) -> dict[str, Any]:
    errors = FieldErrors()
    for name in sorted(set(data) - TAG_FIELDS):
        errors.add(name, "Unknown field.")
    cleaned = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors.add("name", "This field is required.")
        elif len(name) > NAME_MAX:
            errors.add("name", f"At most {NAME_MAX} characters.")
        elif Tag.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
            raise Duplicate(fields={"name": [DUPLICATE_NAME]})
        cleaned["name"] = name
    if "color" in data:
        color = (data["color"] or "").strip()
        if not COLOR.match(color):
            errors.add("color", "Use a colour like #1a2b3c.")
        cleaned["color"] = color.lower()
    errors.raise_if_any()
    return cleaned


def _save(tag: Tag) -> None:
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as exc:
        raise Duplicate(fields={"name": [DUPLICATE_NAME]}) from exc


def tag_create(*, actor: User, data: dict[str, Any]) -> Tag:
    _require_all(actor, Action.CREATE)
    if "name" not in data:
        raise ValidationFailed(fields={"name": ["This field is required."]})
    tag = Tag(**_clean(data))
    with transaction.atomic():
        _save(tag)
        history_record(
            actor=actor, instance=tag, action=HistoryAction.CREATE, changes=diff({}, _snapshot(tag))
        )
    return tag


def tag_update(*, actor: User, tag: Tag, data: dict[str, Any], version: int | None) -> Tag:
    """Rename or recolour; every record carrying the tag shows the new name."""
    _require_all(actor, Action.EDIT)
    cleaned = _clean(data, exclude_pk=tag.pk)
    before = _snapshot(tag)
    for name, value in cleaned.items():
        setattr(tag, name, value)
    changes = diff(before, _snapshot(tag))
    with transaction.atomic():
        claim_version(tag, version)
        _save(tag)
        if changes:
            history_record(actor=actor, instance=tag, action=HistoryAction.UPDATE, changes=changes)
    return tag


def tag_delete(*, actor: User, tag: Tag) -> None:
    """Delete the tag; it disappears from every record carrying it."""
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor, instance=tag, action=HistoryAction.DELETE, changes=diff(_snapshot(tag), {})
        )
        tag.delete()
