"""Personas through the shared write path; the linked segment must be one the actor may read."""

from typing import Any

from cyclecrm.activities.models import Channel
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity.models import User
from cyclecrm.segments import selectors
from cyclecrm.segments.models import Persona

PERSONA_FIELDS = {
    "name", "description", "goals", "pain_points", "preferred_channels", "segment_id",
    "owner_id", "team_id",
}  # fmt: skip


def _normalize(actor: User, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - PERSONA_FIELDS):
        errors.add(name, "Unknown field.")
    if creating or "name" in data:
        data["name"] = " ".join(str(data.get("name") or "").split())
        if not data["name"]:
            errors.add("name", "This field is required.")
    for name in ("description", "goals", "pain_points"):
        if name in data:
            data[name] = str(data[name] or "").strip()
    if "preferred_channels" in data:
        channels = list(dict.fromkeys(data["preferred_channels"] or []))
        unknown = [c for c in channels if c not in Channel.values]
        if unknown:
            errors.add("preferred_channels", f"Use channels among {', '.join(Channel.values)}.")
        data["preferred_channels"] = channels
    segment_id = data.get("segment_id")
    if segment_id is not None and not selectors.segment_list(actor=actor).filter(pk=segment_id):
        errors.add("segment_id", "No segment you may see with this id.")
    errors.raise_if_any()
    return data


def persona_create(*, actor: User, data: dict[str, Any]) -> Persona:
    return record_create(actor=actor, model=Persona, data=_normalize(actor, data, True))


def persona_update(
    *, actor: User, persona: Persona, data: dict[str, Any], version: int | None = None
) -> Persona:
    return record_update(
        actor=actor,
        instance=persona,
        data=_normalize(actor, data, False),
        version=persona.version if version is None else version,
    )


def persona_delete(*, actor: User, persona: Persona) -> None:
    record_delete(actor=actor, instance=persona)
