"""Writes for segments: definitions through the shared write path, static list membership."""

from cyclecrm.segments.services.members import (
    segment_members_add,
    segment_members_add_matching,
    segment_members_remove,
)
from cyclecrm.segments.services.personas import persona_create, persona_delete, persona_update
from cyclecrm.segments.services.segments import (
    segment_count,
    segment_create,
    segment_delete,
    segment_update,
)

__all__ = [
    "persona_create",
    "persona_delete",
    "persona_update",
    "segment_count",
    "segment_create",
    "segment_delete",
    "segment_members_add",
    "segment_members_add_matching",
    "segment_members_remove",
    "segment_update",
]
