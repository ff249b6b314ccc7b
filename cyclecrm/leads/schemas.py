"""API input and output shapes for leads, their status, conversion, scoring and assignment.

Inputs reject unknown fields and mirror the model's length limits; normalization and the rules
stay in the services. Money travels as decimal strings (a float is refused). Lead outputs
declare every field nullable except `id` and `version`: a field hidden from the reader by a
role's field rule is sent as null.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema, Version
from cyclecrm.contacts.schemas import (
    COUNTRY_INPUT_MAX,
    FORCE_DOC,
    VERSION_DOC,
    RecordIn,
    RecordOut,
)
from cyclecrm.leads.models import (
    AssignmentKind,
    Authority,
    LeadSource,
    LeadStatus,
    NeedLevel,
    ScoringCategory,
    ScoringOperator,
    TimelineHorizon,
)

SourceValue = Literal[tuple(LeadSource.values)]
StatusValue = Literal[tuple(LeadStatus.values)]
AuthorityValue = Literal[tuple([*Authority.values, ""])]
NeedValue = Literal[tuple([*NeedLevel.values, ""])]
HorizonValue = Literal[tuple([*TimelineHorizon.values, ""])]
MONEY_DOC = 'A decimal string such as "12500.00" (floats are refused: they are not exact).'


def _refuse_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("Send money as a decimal string, not a float.")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_refuse_float),
    WithJsonSchema({"type": "string", "format": "decimal", "description": MONEY_DOC}),
]


def _text(max_length: int, description: str | None = None) -> Any:
    return Field(None, max_length=max_length, description=description)


def _id(description: str | None = None) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


class LeadFieldsIn(RecordIn):
    first_name: str | None = _text(100)
    last_name: str | None = _text(100)
    email: str | None = _text(254, "Validated and stored lower-case.")
    phone: str | None = _text(32, "Stored as E.164.")
    company: str | None = _text(200)
    title: str | None = _text(150)
    industry: str | None = _text(100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    country: str | None = _text(COUNTRY_INPUT_MAX, "ISO-3166 code or English name.")
    region: str | None = _text(100)
    website: str | None = _text(300)
    description: str | None = _text(10000)
    source: SourceValue | None = None
    campaign_name: str | None = _text(200)
    utm_source: str | None = _text(200)
    utm_medium: str | None = _text(200)
    utm_campaign: str | None = _text(200)
    utm_term: str | None = _text(200)
    utm_content: str | None = _text(200)
    budget: Money | None = Field(None, description=MONEY_DOC)
    budget_currency: str | None = _text(3, "ISO-4217 code.")
    authority: AuthorityValue | None = None
    need: str | None = _text(5000)
    need_level: NeedValue | None = None
    timeline_date: dt.date | None = None
    timeline_horizon: HorizonValue | None = None
    consent_email: bool | None = None
    consent_text: str | None = _text(2000)


class LeadCreateIn(LeadFieldsIn):
    """Give at least a name, a company or an e-mail address. Without `owner_id` the assignment
    rules pick the owner (you, when none matches)."""

    force: bool = Field(False, description=FORCE_DOC)
    referral_code: str | None = Field(
        None,
        max_length=40,
        description=(
            "A personal referral code (see /api/v1/referrals/codes): attributes the new record "
            "to its contact. Unknown: 422 on this field."
        ),
    )


class LeadPatchIn(LeadFieldsIn):
    """Only the fields sent change. The status changes through `POST /leads/{id}/status`."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    force: bool = Field(False, description=FORCE_DOC)


class ScoreLine(OutputSchema):
    rule: int
    name: str
    category: str
    points: int
    matched: bool


class LeadOut(RecordOut):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    region: str | None = None
    website: str | None = None
    description: str | None = None
    status: str | None = None
    unqualified_reason: str | None = None
    status_changed_at: dt.datetime | None = None
    source: str | None = None
    campaign_name: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    capture_form_id: int | None = None
    referral_code: str | None = Field(None, description="Read-only: the code it arrived with.")
    source_campaign_id: int | None = Field(
        None, description="The campaign that brought the lead in (see /api/v1/campaigns)."
    )
    budget: Decimal | None = None
    budget_currency: str | None = None
    authority: str | None = None
    need: str | None = None
    need_level: str | None = None
    timeline_date: dt.date | None = None
    timeline_horizon: str | None = None
    consent_email: bool | None = None
    consent_email_at: dt.datetime | None = None
    consent_text: str | None = None
    score: int | None = None
    grade: str | None = None
    score_breakdown: list[ScoreLine] | None = None
    score_updated_at: dt.datetime | None = None
    mql_at: dt.datetime | None = None
    converted_at: dt.datetime | None = None
    converted_by_id: int | None = None
    converted_account_id: int | None = None
    converted_contact_id: int | None = None
    converted_opportunity_id: int | None = None


class StatusIn(InputSchema):
    status: StatusValue
    reason: str | None = Field(None, max_length=200, description="Required for `unqualified`.")
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class StatusChangeOut(OutputSchema):
    id: int
    from_status: str
    to_status: str
    reason: str
    actor_id: int | None
    at: dt.datetime


class ConvertIn(InputSchema):
    create_opportunity: bool = False
    opportunity_name: str | None = Field(None, max_length=200, description='"<company> deal".')
    amount: Money | None = Field(None, description="Defaults to the lead's budget. " + MONEY_DOC)
    account_id: int | None = _id("Use this account (must be visible) instead of matching one.")
    contact_id: int | None = _id("Use this contact (must be visible) instead of matching one.")


class ConvertOut(OutputSchema):
    account: int
    contact: int
    opportunity: int | None


# -- scoring ----------------------------------------------------------------------------------

RULE_VALUE_DOC = (
    "`in`: a list of strings; `contains`: a string or a list (any of them); `equals`: a string "
    "or a decimal string for numbers; `gte` / `lte`: a decimal string or integer; `is_set`: null."
)
RuleValue = str | int | list[Annotated[str, Field(max_length=200)]] | None


class ScoringRuleFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    category: Literal[tuple(ScoringCategory.values)] | None = Field(
        None, description="Follows from `field`; when sent it must agree."
    )
    field: str | None = Field(
        None,
        max_length=50,
        description="fit: title, industry, employees, country, region; bant: budget, authority, "
        "need_level, timeline_horizon; engagement: `engagement.<metric>`.",
    )
    operator: Literal[tuple(ScoringOperator.values)] | None = None
    value: RuleValue = Field(None, description=RULE_VALUE_DOC)
    points: int | None = Field(None, ge=-1000, le=1000)
    is_active: bool | None = None


class ScoringRulePatchIn(ScoringRuleFieldsIn):
    version: Version


class ScoringRuleCreateIn(ScoringRuleFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    field: str = Field(max_length=50)
    operator: Literal[tuple(ScoringOperator.values)]
    points: int = Field(ge=-1000, le=1000)


class ScoringRuleOut(OutputSchema):
    id: int
    version: int
    name: str
    category: str
    field: str
    operator: str
    value: Any = None
    points: int
    is_active: bool
    created_at: dt.datetime


class GradeIn(InputSchema):
    letter: str | None = Field(None, min_length=1, max_length=2)
    min_score: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    marks_mql: bool | None = None


class GradePatchIn(GradeIn):
    version: Version


class GradeCreateIn(GradeIn):
    letter: str = Field(min_length=1, max_length=2)
    min_score: int = Field(ge=-1_000_000, le=1_000_000)


class GradeOut(OutputSchema):
    id: int
    version: int
    letter: str
    min_score: int
    marks_mql: bool


class RescoreOut(OutputSchema):
    changed: int = Field(description="How many leads got a new score or grade.")


# -- assignment -------------------------------------------------------------------------------


def _assignee_ids(rule: Any) -> list[int]:
    return sorted(user.pk for user in rule.assignees.all())


class AssignmentRuleFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Literal[tuple(AssignmentKind.values)] | None = None
    position: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None
    countries: list[Annotated[str, Field(max_length=COUNTRY_INPUT_MAX)]] | None = Field(
        None, max_length=300
    )
    regions: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=300)
    sources: list[SourceValue] | None = Field(None, max_length=20)
    team_id: int | None = _id("Team given to assigned leads; default: the assignee's first team.")
    assignee_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=500, description="Users taking turns, in id order."
    )


class AssignmentRulePatchIn(AssignmentRuleFieldsIn):
    version: Version


class AssignmentRuleCreateIn(AssignmentRuleFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal[tuple(AssignmentKind.values)]
    assignee_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(max_length=500)


class AssignmentRuleOut(OutputSchema):
    computed = {"assignee_ids": _assignee_ids}

    id: int
    version: int
    name: str
    kind: str
    position: int
    is_active: bool
    countries: list[str]
    regions: list[str]
    sources: list[str]
    team_id: int | None
    assignee_ids: list[int]
    last_assignee_id: int | None
    created_at: dt.datetime


class AssignmentTestIn(InputSchema):
    country: str | None = _text(COUNTRY_INPUT_MAX)
    region: str | None = _text(100)
    source: SourceValue | None = None


class AssignmentTestOut(OutputSchema):
    rule_id: int | None
    rule_name: str | None
    user_id: int | None
    username: str | None


_RECORD_COLUMNS = ("owner_id", "team_id", "tags", "created_at", "updated_at")
LEAD_EXPORT_COLUMNS = (
    "id", "external_id", "first_name", "last_name", "email", "phone", "company", "title",
    "industry", "employees", "country", "region", "website", "status", "unqualified_reason",
    "status_changed_at", "source", "campaign_name", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "budget", "budget_currency", "authority", "need_level",
    "timeline_date", "timeline_horizon", "consent_email", "consent_email_at", "score", "grade",
    "mql_at", "converted_at", "converted_account_id", "converted_contact_id",
    "converted_opportunity_id", *_RECORD_COLUMNS,
)  # fmt: skip
