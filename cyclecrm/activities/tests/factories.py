"""Task factory: a plain ORM insert (no permission checks) with the derived sort keys filled
in the way the services fill them."""

import itertools
from typing import Any

from cyclecrm.activities.models import NO_DUE_KEY, PRIORITY_RANK, Task, TaskPriority
from cyclecrm.identity.models import User

_seq = itertools.count(1)


def make_task(owner: User | None = None, **fields: Any) -> Task:
    fields.setdefault("title", f"Task {next(_seq)}")
    fields.setdefault("priority", TaskPriority.NORMAL)
    fields["due_key"] = fields.get("due_at") or NO_DUE_KEY
    fields["priority_rank"] = PRIORITY_RANK[fields["priority"]]
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Task.objects.create(owner=owner, team=team, created_by=owner, **fields)
