"""iCalendar (RFC 5545) of tasks (VTODO with DUE) and meetings (VEVENT), written with vobject.

A task's UID is stable (`cyclecrm-task-<id>`) and its SEQUENCE the record version, so a calendar
that subscribed to the feed updates the entry instead of adding a second one. Meetings keep the
UID of their per-meeting .ics (`Interaction.ical_uid`), so both downloads name the same event.
"""

from collections.abc import Iterable
from typing import Any

import vobject
from dateutil import tz
from django.utils import timezone

from cyclecrm.activities.ics import plain_text
from cyclecrm.activities.interactions import meeting_default_end
from cyclecrm.activities.models import TaskPriority, TaskStatus

PRODID = "-//Cycle CRM//Calendar//EN"
TASK_UID = "cyclecrm-task-{pk}"
# RFC 5545 §3.8.1.9: 1 is the highest priority, 9 the lowest, 0 undefined.
_PRIORITIES = {
    TaskPriority.URGENT: 1,
    TaskPriority.HIGH: 3,
    TaskPriority.NORMAL: 5,
    TaskPriority.LOW: 9,
}
_STATUSES = {
    TaskStatus.OPEN: "NEEDS-ACTION",
    TaskStatus.IN_PROGRESS: "IN-PROCESS",
    TaskStatus.DONE: "COMPLETED",
    TaskStatus.CANCELLED: "CANCELLED",
}


def _utc(value: Any) -> Any:
    return value.astimezone(tz.UTC)


def new_calendar(name: str = "") -> Any:
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = PRODID
    calendar.add("method").value = "PUBLISH"
    if name:
        calendar.add("x-wr-calname").value = name
    return calendar


def add_task(calendar: Any, task: Any) -> None:
    """The task as a VTODO; a task without a due date has no place in a calendar."""
    todo = calendar.add("vtodo")
    todo.add("uid").value = TASK_UID.format(pk=task.pk)
    todo.add("sequence").value = str(max(task.version - 1, 0))
    todo.add("dtstamp").value = _utc(timezone.now())
    todo.add("summary").value = task.title or "Task"
    todo.add("due").value = _utc(task.due_at)
    todo.add("status").value = _STATUSES.get(task.status, "NEEDS-ACTION")
    todo.add("priority").value = str(_PRIORITIES.get(task.priority, 0))
    if task.completed_at:
        todo.add("completed").value = _utc(task.completed_at)
    description = plain_text(task.description)
    if description:
        todo.add("description").value = description


def add_meeting(calendar: Any, meeting: Any) -> None:
    starts = meeting.starts_at or meeting.occurred_at
    event = calendar.add("vevent")
    event.add("uid").value = meeting.ical_uid
    event.add("sequence").value = str(max(meeting.version - 1, 0))
    event.add("dtstamp").value = _utc(timezone.now())
    event.add("dtstart").value = _utc(starts)
    event.add("dtend").value = _utc(meeting.ends_at or meeting_default_end(starts))
    event.add("summary").value = meeting.subject or "Meeting"
    if meeting.location:
        event.add("location").value = meeting.location


def calendar_ics(*, tasks: Iterable[Any] = (), meetings: Iterable[Any] = (), name: str = "") -> str:
    """One calendar of the given tasks (those with a due date) and meetings."""
    calendar = new_calendar(name)
    for task in tasks:
        if task.due_at:
            add_task(calendar, task)
    for meeting in meetings:
        add_meeting(calendar, meeting)
    return calendar.serialize()
