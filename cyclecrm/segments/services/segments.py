"""Segment definitions through the shared write path (rights, history, version check)."""

from typing import Any

from django.utils import timezone

from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.segments import selectors
from cyclecrm.segments.models import Segment, SegmentKind

SEGMENT_FIELDS = {"name", "description", "kind", "rules", "owner_id", "team_id"}
KIND_FIXED = "The kind of a segment cannot change once created."
STATIC_NO_RULES = "A static list has members, not rules."
EMPTY_RULES: dict[str, list] = {"all": []}
NULL_RULES = 'Give rules; {"all": []} matches every contact.'


def _normalize(actor: User, data: dict[str, Any], current: Segment | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - SEGMENT_FIELDS):
        errors.add(name, "Unknown field.")
    if current is None:
        data.setdefault("kind", SegmentKind.DYNAMIC)
        if data["kind"] not in SegmentKind.values:
            errors.add("kind", f"Use one of {', '.join(SegmentKind.values)}.")
    elif "kind" in data and data["kind"] != current.kind:
        errors.add("kind", KIND_FIXED)
    if "name" in data or current is None:
        data["name"] = " ".join(str(data.get("name") or "").split())
        if not data["name"]:
            errors.add("name", "This field is required.")
    if "description" in data:
        data["description"] = str(data["description"] or "").strip()
    kind = data.get("kind") or (current.kind if current else SegmentKind.DYNAMIC)
    if kind == SegmentKind.STATIC and data.get("rules") not in (None, {}, EMPTY_RULES):
        errors.add("rules", STATIC_NO_RULES)
    if kind == SegmentKind.DYNAMIC and "rules" in data and data["rules"] is None:
        errors.add("rules", NULL_RULES)
    errors.raise_if_any()
    if kind == SegmentKind.STATIC:
        data["rules"] = {}
    elif current is None or "rules" in data:
        data["rules"] = data.get("rules") or dict(EMPTY_RULES)
        selectors.rules_compile(actor=actor, rules=data["rules"])
    return data


def segment_create(*, actor: User, data: dict[str, Any]) -> Segment:
    """Create a segment; dynamic rules are validated (422 naming the rule path)."""
    return record_create(actor=actor, model=Segment, data=_normalize(actor, data, None))


def segment_update(
    *, actor: User, segment: Segment, data: dict[str, Any], version: int | None = None
) -> Segment:
    data = _normalize(actor, data, segment)
    data.pop("kind", None)
    return record_update(
        actor=actor,
        instance=segment,
        data=data,
        version=segment.version if version is None else version,
    )


def segment_delete(*, actor: User, segment: Segment) -> None:
    record_delete(actor=actor, instance=segment)


def segment_count(*, actor: User, segment: Segment) -> int:
    """The number of members the actor may read (one COUNT query).

    When the actor may read every contact the count is the segment's true size, and it is
    kept on the segment (`member_count`, `counted_at`) for lists that show sizes without
    counting each segment again."""
    count = selectors.segment_members(actor=actor, segment=segment).count()
    if access.level(actor, "contact", Action.READ) == "all":
        now = timezone.now()
        Segment.objects.filter(pk=segment.pk).update(member_count=count, counted_at=now)
        segment.member_count, segment.counted_at = count, now
    return count
