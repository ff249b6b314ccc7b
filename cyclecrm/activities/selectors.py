"""Reads for tasks, always starting from the permission gate."""

from typing import Any

from django.db.models import Model, Prefetch, QuerySet

from cyclecrm.activities.filters import TaskFilters
from cyclecrm.activities.models import ACTIVE_STATUSES, Task
from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

# `due_at` puts tasks without a due date last (see models.NO_DUE_KEY); `priority` is most
# urgent first, then soonest due.
TASK_ORDERINGS = orderings_with_reverse(
    {
        "due_at": ("due_key", "id"),
        "priority": ("priority_rank", "due_key", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
    }
)
DEFAULT_ORDERING = "due_at"
# The model field each sort column reveals (for field rules: sorting by a hidden field leaks it).
SORT_COLUMN_FIELDS = {"due_key": "due_at", "priority_rank": "priority"}
RELATED_TASKS_LIMIT = 10
_LIST_RELATED = ("owner", "team", "contact", "account", "lead", "opportunity")


def _with_related(queryset: QuerySet[Task]) -> QuerySet[Task]:
    return queryset.select_related(*_LIST_RELATED).prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def task_list(
    *,
    actor: User,
    filters: TaskFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Task]:
    queryset = access.restrict(Task.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
        if filters.mine:
            queryset = queryset.filter(owner=actor)
    if custom:
        queryset = queryset.filter(custom_filter_q(Task.record_type, custom))
    return _with_related(queryset)


def task_get(*, actor: User, pk: Any, action: str = Action.READ) -> Task:
    queryset = access.restrict(Task.objects.all(), actor, action)
    task = (
        _with_related(queryset.select_related("created_by", "updated_by")).filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if task is None:
        raise NotFound("No task with this id.")
    return task


def tasks_for(
    *,
    actor: User,
    contact: Model | None = None,
    account: Model | None = None,
    lead: Model | None = None,
    opportunity: Model | None = None,
) -> QuerySet[Task]:
    """The open and in-progress tasks of one record that the actor may see, soonest due first.
    Pass exactly one record; with none the result is empty."""
    links = {
        name: record
        for name, record in (
            ("contact", contact),
            ("account", account),
            ("lead", lead),
            ("opportunity", opportunity),
        )
        if record
    }
    if len(links) != 1:
        return Task.objects.none()
    queryset = access.restrict(Task.objects.all(), actor).filter(
        status__in=ACTIVE_STATUSES, **links
    )
    return queryset.select_related("owner").order_by("due_key", "id")


def editable_ids(*, actor: User, tasks: list[Task]) -> set[int]:
    """Which of these tasks the actor may edit (complete, reopen): one query for any number."""
    ids = {task.pk for task in tasks}
    if not ids:
        return set()
    rights = access.access_for(actor)
    if rights.level(Task.record_type, Action.EDIT) == Level.ALL:
        return ids
    allowed = access.restrict(Task.objects.filter(pk__in=ids), actor, Action.EDIT)
    return set(allowed.values_list("pk", flat=True))
