"""`{% related_tasks contact=... as card %}`: the open tasks of one record, for the reusable
card `activities/_related_tasks.html` that record pages include."""

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from cyclecrm.activities import selectors
from cyclecrm.activities.filters import ACTIVE_STATUS_PARAM
from cyclecrm.activities.rows import task_rows
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level

register = template.Library()


@register.simple_tag(takes_context=True)
def related_tasks(
    context: template.Context,
    contact: Any = None,
    account: Any = None,
    lead: Any = None,
    opportunity: Any = None,
) -> dict[str, Any] | None:
    """None when the viewer may not read tasks or no record is given."""
    request = context.get("request")
    actor = getattr(request, "user", None)
    record = contact or account or lead or opportunity
    if not record or access.level(actor, "task", Action.READ) == Level.NONE:
        return None
    queryset = selectors.tasks_for(
        actor=actor,
        contact=contact or None,
        account=account or None,
        lead=lead or None,
        opportunity=opportunity or None,
    )
    limit = selectors.RELATED_TASKS_LIMIT
    tasks = list(queryset[:limit])
    total = queryset.count() if len(tasks) == limit else len(tasks)
    kind = record.record_type
    card: dict[str, Any] = {
        "rows": task_rows(actor, tasks, with_links=False),
        "total": total,
        "next": request.get_full_path(),
        "see_all_url": reverse("task_list")
        + "?"
        + urlencode({f"{kind}_id": record.pk, "status": ACTIVE_STATUS_PARAM, "ordering": "due_at"}),
        "create_url": None,
    }
    if access.level(actor, "task", Action.CREATE) != Level.NONE:
        query = urlencode({kind: record.pk, "next": card["next"]})
        card["create_url"] = f"{reverse('task_create')}?{query}"
    return card
