import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema
from cyclecrm.contacts.schemas import VERSION_DOC

RULES_DOC = (
    'A rule tree: `{"all": [...]}`, `{"any": [...]}` or `{"not": {...}}` holding groups and '
    'conditions `{"field": "country", "op": "eq", "value": "DE"}`; see docs/segments.md. '
    "Errors name the rule path, e.g. `rules.all[2].field`."
)
ContactIds = list[Annotated[int, Field(ge=1, le=MAX_ID)]]


class SegmentFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    rules: dict[str, Any] | None = Field(None, description=RULES_DOC)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to you.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class SegmentCreateIn(SegmentFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["dynamic", "static"] = Field(
        "dynamic", description="`dynamic`: members follow the rules; `static`: a kept list."
    )


class SegmentPatchIn(SegmentFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class SegmentOut(OutputSchema):
    id: int
    name: str
    description: str
    kind: str
    rules: dict[str, Any]
    member_count: int | None = Field(
        None, description="Members over all contacts when last counted by a user reading all."
    )
    counted_at: dt.datetime | None = None
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentMemberOut(OutputSchema):
    id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    country: str | None = None
    lifecycle_stage: str | None = None
    account_id: int | None = None


class RulesIn(InputSchema):
    rules: dict[str, Any] = Field(description=RULES_DOC)


class CountOut(OutputSchema):
    count: int = Field(description="Matching contacts you may read.")


class MembersIn(InputSchema):
    contact_ids: ContactIds = Field(min_length=1, max_length=5000)


class MembersChangedOut(OutputSchema):
    changed: int = Field(description="How many contacts were added or removed.")


class FieldOut(OutputSchema):
    key: str
    label: str
    group: str
    type: str
    ops: list[str]
    choices: list[str]


ChannelValue = Literal["email", "call", "meeting", "chat", "social", "sms", "note"]


class PersonaFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    goals: str | None = Field(None, max_length=5000)
    pain_points: str | None = Field(None, max_length=5000)
    preferred_channels: list[ChannelValue] | None = Field(None, max_length=10)
    segment_id: int | None = Field(None, ge=1, le=MAX_ID, description="The segment finding them.")
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to you.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class PersonaCreateIn(PersonaFieldsIn):
    name: str = Field(min_length=1, max_length=200)


class PersonaPatchIn(PersonaFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class PersonaFiguresOut(OutputSchema):
    contacts: int = Field(description="Members of the segment you may read.")
    buyers: int = Field(description="Members with at least one order that is not cancelled.")
    orders: int
    revenue: Decimal | None = None
    average_order_value: Decimal | None = None
    nps: float | None = Field(
        None, description="Net Promoter Score of the members' NPS answers of the last 365 days."
    )
    nps_answers: int
    churn_rate: float | None = Field(None, description="Not computed yet (churn model pending).")


class PersonaOut(OutputSchema):
    id: int
    name: str
    description: str
    goals: str
    pain_points: str
    preferred_channels: list[str]
    segment_id: int | None = None
    segment_size: int | None = Field(
        None, description="Live member count of the segment (contacts you may read)."
    )
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
