import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema
from cyclecrm.contacts.schemas import VERSION_DOC

CONFIG_DOC = (
    "The step's settings, by type (see docs/nurture-sequences.md): `send_email` "
    '`{"template_id"}` or `{"subject", "body"}`, with `"track"` (default true); '
    '`wait` `{"days", "hours"}` or '
    '`{"weekdays": [0-6], "time": "HH:MM"}`; `branch` `{"condition": {"type": "opened" | '
    '"clicked" | "score_gte" | "rules", ...}, "yes": position, "no": position}`; ...'
)
Ids = list[Annotated[int, Field(ge=1, le=MAX_ID)]]
StepTypeName = Literal[
    "send_email",
    "wait",
    "branch",
    "create_task",
    "set_lead_status",
    "set_lifecycle_stage",
    "add_to_list",
    "notify_owner",
]


class SequenceFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    exit_on_reply: bool | None = None
    exit_on_conversion: bool | None = None
    exit_on_unsubscribe: bool | None = None
    enroll_form_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Submissions of this capture form enroll their lead."
    )
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to you.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class SequenceCreateIn(SequenceFieldsIn):
    name: str = Field(min_length=1, max_length=200)


class SequencePatchIn(SequenceFieldsIn):
    status: Literal["draft", "active", "paused", "archived"] | None = Field(
        None, description="draft → active ⇄ paused → archived; activating checks the steps."
    )
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class SequenceStepOut(OutputSchema):
    id: int
    version: int
    position: int
    type: str
    config: dict[str, Any]


class SequenceOut(OutputSchema):
    id: int
    name: str
    description: str
    status: str
    exit_on_reply: bool
    exit_on_conversion: bool
    exit_on_unsubscribe: bool
    enroll_form_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SequenceDetailOut(SequenceOut):
    steps: list[SequenceStepOut]

    computed = {"steps": lambda obj: list(obj.steps.order_by("position"))}


class SequenceStepIn(InputSchema):
    type: StepTypeName
    config: dict[str, Any] = Field(default_factory=dict, description=CONFIG_DOC)
    position: int | None = Field(None, ge=1, le=1000, description="Default: after the last.")


class SequenceStepPatchIn(InputSchema):
    type: StepTypeName | None = None
    config: dict[str, Any] | None = Field(None, description=CONFIG_DOC)
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class SequenceReorderIn(InputSchema):
    step_ids: Ids = Field(
        max_length=1000, description="Every step id of the sequence, in the new order."
    )


class SequenceEnrollIn(InputSchema):
    contact_ids: Ids = Field(default_factory=list, max_length=5000)
    lead_ids: Ids = Field(default_factory=list, max_length=5000)
    segment_id: int | None = Field(None, ge=1, le=MAX_ID, description="Enroll its members.")


class SequenceEnrollOut(OutputSchema):
    enrolled: int
    skipped: int = Field(description="Already in the sequence (active or paused).")


class SequenceEnrollmentOut(OutputSchema):
    id: int
    contact_id: int | None = None
    lead_id: int | None = None
    name: str
    state: str
    exit_reason: str
    position: int | None = None
    next_run_at: dt.datetime | None = None
    source: str
    enrolled_by_id: int | None = None
    enrolled_at: dt.datetime
    finished_at: dt.datetime | None = None


class SequenceStepStatsOut(OutputSchema):
    step_id: int
    position: int
    type: str
    entered: int
    done: int
    skipped: int
    failed: int
    sent: int
    opened: int
    clicked: int
    open_rate: float | None = None
    click_rate: float | None = None
    waiting: int = Field(description="Open enrollments whose next step this is.")
    exited: int = Field(description="Enrollments that exited (reply, conversion, ...) here.")
