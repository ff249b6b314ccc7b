"""Task and interaction factories: plain ORM inserts (no permission checks), a task's derived
sort keys filled in the way the services fill them."""

import itertools
from typing import Any

from django.utils import timezone

from cyclecrm.activities.models import (
    NO_DUE_KEY,
    PRIORITY_RANK,
    Channel,
    Interaction,
    Task,
    TaskPriority,
)
from cyclecrm.identity.models import User

_seq = itertools.count(1)


def make_task(owner: User | None = None, **fields: Any) -> Task:
    fields.setdefault("title", f"Task {next(_seq)}")
    fields.setdefault("priority", TaskPriority.NORMAL)
    fields["due_key"] = fields.get("due_at") or NO_DUE_KEY
    fields["priority_rank"] = PRIORITY_RANK[fields["priority"]]
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Task.objects.create(owner=owner, team=team, created_by=owner, **fields)


def make_interaction(owner: User | None = None, **fields: Any) -> Interaction:
    """An interaction inserted directly (no engagement refresh: call it when a test needs it)."""
    fields.setdefault("channel", Channel.CALL)
    fields.setdefault("subject", f"Interaction {next(_seq)}")
    fields.setdefault("occurred_at", timezone.now())
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Interaction.objects.create(owner=owner, team=team, created_by=owner, **fields)
