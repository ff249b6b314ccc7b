"""API input and output shapes for tasks (the rules stay in activities.services)."""

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from cyclecrm.activities.models import TaskPriority, TaskStatus
from cyclecrm.api.schemas import MAX_ID, InputSchema, Instant
from cyclecrm.contacts.schemas import VERSION_DOC, RecordIn, RecordOut

PriorityValue = Literal[tuple(TaskPriority.values)]
StatusValue = Literal[tuple(TaskStatus.values)]

DUE_DOC = "When the task is due (ISO 8601; without an offset it is read in the server's zone)."
REMIND_DOC = (
    "When to e-mail the assignee. Defaults to the due time minus the reminder lead time (one "
    "hour unless configured) when a future due time is set; must not be after the due time. "
    "Null: no reminder."
)
STATUS_DOC = (
    "`done` sets `completed_at`; going back to `open` or `in_progress`, or to `cancelled`, "
    "clears it."
)


def _id(description: str) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


class TaskFieldsIn(RecordIn):
    description: str | None = Field(None, max_length=10000)
    due_at: Instant | None = Field(None, description=DUE_DOC)
    remind_at: Instant | None = Field(None, description=REMIND_DOC)
    priority: PriorityValue | None = None
    status: StatusValue | None = Field(None, description=STATUS_DOC)
    contact_id: int | None = _id("A contact you may see.")
    account_id: int | None = _id("An account you may see.")
    lead_id: int | None = _id("A lead you may see.")
    opportunity_id: int | None = _id("An opportunity you may see.")
    onboarding_id: int | None = _id("The onboarding this task is a step of.")


class TaskCreateIn(TaskFieldsIn):
    """`owner_id` is the assignee (default: you)."""

    title: str = Field(min_length=1, max_length=200)


class TaskPatchIn(TaskFieldsIn):
    """Only the fields sent change."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    title: str | None = Field(None, min_length=1, max_length=200)


class TaskActionIn(InputSchema):
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Optional: the `version` you read; a stale one is refused with 409.",
    )


class TaskOut(RecordOut):
    computed = {**RecordOut.computed, "is_overdue": lambda task: task.is_overdue}

    title: str | None = None
    description: str | None = None
    due_at: dt.datetime | None = None
    remind_at: dt.datetime | None = None
    reminder_sent_at: dt.datetime | None = None
    priority: str | None = None
    status: str | None = None
    completed_at: dt.datetime | None = None
    is_overdue: bool | None = Field(None, description="Open or in progress and past its due time.")
    contact_id: int | None = None
    account_id: int | None = None
    lead_id: int | None = None
    opportunity_id: int | None = None
    onboarding_id: int | None = None
