"""API shapes of workflow rules, their runs, webhook subscriptions and deliveries."""

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema
from cyclecrm.contacts.schemas import VERSION_DOC

RecordTypeName = Literal["contact", "account", "lead", "opportunity", "case"]
TriggerName = Literal[
    "created",
    "updated",
    "stage_changed",
    "form_submitted",
    "churn_risk_high",
    "advocate_reached",
    "schedule",
]
CONDITIONS_DOC = (
    "A rule tree in the segment rule language (docs/segments.md) over the record's fields; "
    'errors name the path, e.g. `conditions.all[0].field`. Empty: `{"all": []}`.'
)
ACTIONS_DOC = (
    'Ordered actions `[{"type": "add_tag", "params": {"tag": "vip"}}, ...]`; see '
    "docs/automation.md. Errors name the path, e.g. `actions[1].params.field`."
)
TRIGGER_DOC = (
    'updated: `{"field", "value"}` (both optional); stage_changed: `{"from_stage", '
    '"to_stage"}` (stage ids); form_submitted: `{"form"}`; churn_risk_high and '
    "advocate_reached: none; "
    'schedule: `{"at": "HH:MM"}` (UTC) or `{"every_hours": N}`.'
)


class WorkflowFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    active: bool | None = None
    trigger: TriggerName | None = None
    trigger_config: dict[str, Any] | None = Field(None, description=TRIGGER_DOC)
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_DOC)
    actions: list[Any] | None = Field(None, description=ACTIONS_DOC)
    owner_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Defaults to you; the rule acts as its owner."
    )
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class WorkflowCreateIn(WorkflowFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    record_type: RecordTypeName
    trigger: TriggerName
    actions: list[Any] = Field(description=ACTIONS_DOC)


class WorkflowPatchIn(WorkflowFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class WorkflowOut(OutputSchema):
    id: int
    name: str
    description: str
    active: bool
    record_type: str
    trigger: str
    trigger_config: dict[str, Any]
    event: str
    conditions: dict[str, Any]
    actions: list[Any]
    last_scheduled_at: dt.datetime | None = None
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    computed = {"record_type": lambda rule: rule.record_type_key}


class WorkflowRunOut(OutputSchema):
    id: int
    rule_id: int
    record_type: str
    object_id: int
    event: str
    outcome: str
    results: list[Any]
    error: str
    chain: list[Any]
    started_at: dt.datetime
    duration_ms: int

    computed = {"record_type": lambda run: run.record_type_key}


class DryRunActionOut(OutputSchema):
    index: int
    type: str | None
    params: dict[str, Any]


class DryRunOut(OutputSchema):
    record_id: int
    visible_to_rule_owner: bool
    conditions_met: bool
    actions: list[DryRunActionOut]


class ActionTypeOut(OutputSchema):
    name: str
    label: str
    params: dict[str, Any] = Field(description="Each parameter: type, required, label.")
    record_types: list[str]


class WebhookFieldsIn(InputSchema):
    url: str | None = Field(None, min_length=1, max_length=1000)
    description: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(
        None, description="Event names (`contact.created`), `contact.*` or `*`."
    )
    active: bool | None = None
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class WebhookCreateIn(WebhookFieldsIn):
    url: str = Field(min_length=1, max_length=1000)
    events: list[str]


class WebhookPatchIn(WebhookFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class WebhookOut(OutputSchema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    consecutive_failures: int
    disabled_reason: str
    owner_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookSecretOut(WebhookOut):
    secret: str = Field(description="The signing secret; shown only now (rotate for a new one).")


class SecretOut(OutputSchema):
    secret: str


class DeliveryOut(OutputSchema):
    id: int
    subscription_id: int
    event_id: str
    event: str
    status: str
    attempts: int
    response_code: int | None
    response_body: str
    error: str
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    duration_ms: int
    payload: dict[str, Any]
