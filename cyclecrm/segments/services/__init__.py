"""Writes for segments: definitions through the shared write path, static list membership."""

from cyclecrm.segments.services.members import segment_members_add, segment_members_remove
from cyclecrm.segments.services.segments import (
    segment_count,
    segment_create,
    segment_delete,
    segment_update,
)

__all__ = [
    "segment_count",
    "segment_create",
    "segment_delete",
    "segment_members_add",
    "segment_members_remove",
    "segment_update",
]
