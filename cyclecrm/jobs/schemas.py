import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import OutputSchema
from cyclecrm.jobs.models import JobState

JobStateName = Literal[tuple(JobState.values)]  # type: ignore[valid-type]
JobOrdering = Literal["enqueued", "-enqueued"]


class JobFiltersIn(Schema):
    state: JobStateName | None = Field(None, description="Only jobs in this state.")
    task: str | None = Field(
        None,
        max_length=200,
        description="Only this task: its full name (`cyclecrm.integrations.tasks.send_email`) "
        "or its last part (`send_email`).",
    )


class JobOut(OutputSchema):
    id: int
    task_id: str = Field(description="Huey's id of the task.")
    task_name: str
    periodic: bool
    args_summary: str = Field(description="The arguments, secret-looking values masked.")
    state: JobStateName
    attempts: int = Field(description="Attempts started so far.")
    retries_left: int
    enqueued_at: dt.datetime
    next_attempt_at: dt.datetime | None = Field(
        None, description="When a delayed job or its next retry is due."
    )
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    duration_ms: int | None = Field(None, description="Of the last attempt.")
    error_type: str = Field(description="The last error's exception type; empty if none.")
    error_message: str
    retry_of_id: int | None = Field(None, description="The job this one retries.")


class JobDetailOut(JobOut):
    error_traceback: str


class JobCountsOut(Schema):
    counts: dict[str, int] = Field(description="Jobs per state, every state present.")
