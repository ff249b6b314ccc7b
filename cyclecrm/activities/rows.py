"""How tasks appear in lists: due-date groups (overdue, today, upcoming, none), the related
records each task may show to this viewer, and whether the viewer may complete it. Built for a
whole page at once, with a fixed number of queries whatever the number of rows."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cyclecrm.activities import selectors
from cyclecrm.activities.models import ACTIVE_STATUSES, Task, TaskStatus
from cyclecrm.activities.services import LINKED_MODELS
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

GROUP_LABELS = {
    "overdue": "Overdue",
    "today": "Due today",
    "upcoming": "Upcoming",
    "none": "No due date",
}
PAST_LABEL = "Past due date"


@dataclass
class Related:
    label: str
    name: str
    url: str | None


@dataclass
class TaskRow:
    task: Task
    editable: bool
    related: list[Related] = field(default_factory=list)
    group: str = ""
    group_label: str = ""  # set on the first row of a group only

    @property
    def overdue(self) -> bool:
        return self.task.is_overdue

    @property
    def done(self) -> bool:
        return self.task.status == TaskStatus.DONE

    @property
    def active(self) -> bool:
        return self.task.status in ACTIVE_STATUSES


def today_end(now: dt.datetime) -> dt.datetime:
    """The end of the current day in the server's time zone."""
    tomorrow = timezone.localtime(now).date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min))


def due_group(task: Task, now: dt.datetime, end_of_today: dt.datetime) -> str:
    if task.due_at is None:
        return "none"
    if task.due_at < now:
        return "overdue"
    return "today" if task.due_at < end_of_today else "upcoming"


def visible_links(actor: User, tasks: list[Task]) -> dict[str, set[int]]:
    """For each linked record kind, the ids among these tasks' links the actor may open."""
    result: dict[str, set[int]] = {}
    for attname, model in LINKED_MODELS.items():
        ids = {getattr(task, attname) for task in tasks} - {None}
        if not ids or access.level(actor, model.record_type, Action.READ) == Level.ALL:
            result[attname] = ids
            continue
        visible = access.restrict(model.objects.filter(pk__in=ids), actor)
        result[attname] = set(visible.values_list("pk", flat=True))
    return result


def _detail_url(record: Any) -> str | None:
    try:
        return reverse(f"{record.record_type}_detail", args=[record.pk])
    except NoReverseMatch:
        return None


def task_rows(
    actor: User,
    tasks: list[Task],
    *,
    grouped: bool = False,
    hidden: frozenset[str] = frozenset(),
    with_links: bool = True,
) -> list[TaskRow]:
    """Rows for these tasks (already fetched with their links, see selectors.task_list).
    `grouped` marks the first row of each due-date group (for a list ordered by due date);
    `with_links=False` leaves out the linked records (a record's own card of tasks)."""
    editable = selectors.editable_ids(actor=actor, tasks=tasks)
    links = visible_links(actor, tasks) if with_links else {}
    now = timezone.now()
    end_of_today = today_end(now)
    rows = []
    previous = None
    for task in tasks:
        row = TaskRow(task=task, editable=task.pk in editable)
        for attname, model in LINKED_MODELS.items() if with_links else ():
            name = attname.removesuffix("_id")
            record = getattr(task, name)
            if record is None or name in hidden or record.pk not in links[attname]:
                continue
            row.related.append(
                Related(model._meta.verbose_name.capitalize(), str(record), _detail_url(record))
            )
        if grouped:
            row.group = due_group(task, now, end_of_today)
            if row.group != previous:
                row.group_label = GROUP_LABELS[row.group]
            previous = row.group
        rows.append(row)
    if any(row.group == "overdue" and not row.active for row in rows):
        # Done or cancelled tasks are listed too: their due date passed, they are not late.
        for row in rows:
            if row.group_label and row.group == "overdue":
                row.group_label = PAST_LABEL
    return rows
