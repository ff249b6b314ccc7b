"""Writes for tasks."""

from collections.abc import Iterable
from typing import Any

from cyclecrm.activities.models import Task
from cyclecrm.core.records import record_create
from cyclecrm.identity.models import User

TASK_FIELDS = {
    "title", "description", "due_at", "priority", "status", "remind_at", "contact_id",
    "account_id", "lead_id", "opportunity_id", "onboarding_id", "owner_id", "team_id",
    "external_id",
}  # fmt: skip


def task_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Task:
    """Create a task; `owner_id` is the assignee (default: the actor)."""
    return record_create(actor=actor, model=Task, data=data, tags=tags, custom=custom)
