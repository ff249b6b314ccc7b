"""API input and output shapes for opportunities, pipelines, exchange rates, onboarding and the
pipeline reports.

Money and probabilities travel as decimal strings ("1250.00"; an integer is accepted on input,
a float is refused: it is not exact). Outputs of opportunities declare every field nullable but
`id` and `version`: a field hidden from the reader by a field rule is sent as null.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BeforeValidator, Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema, Version
from cyclecrm.contacts.schemas import VERSION_DOC, RecordIn, RecordOut
from cyclecrm.core.money import round_money
from cyclecrm.pipeline.models import StageKind


def _decimal_text(value: Any) -> Any:
    """Decimal strings pass, integers become strings, floats are refused (not exact)."""
    if isinstance(value, float | bool):
        raise ValueError('send a decimal string such as "1250.00", not a float')
    return str(value) if isinstance(value, int) else value


AmountIn = Annotated[str, BeforeValidator(_decimal_text), Field(pattern=r"^\d{1,14}(\.\d{1,10})?$")]
ProbabilityIn = Annotated[
    str, BeforeValidator(_decimal_text), Field(pattern=r"^\d{1,3}(\.\d{1,2})?$")
]
DECIMAL_DOC = 'Decimal string, e.g. "1250.00" (integers accepted, floats refused).'
StageKindValue = Literal[tuple(StageKind.values)]
DecimalText = Annotated[str, Field(description="Decimal string.")]


def _id(description: str | None = None) -> Field:
    return Field(None, ge=1, le=MAX_ID, description=description)


# -- opportunities ----------------------------------------------------------------------------


class OpportunityFieldsIn(RecordIn):
    account_id: int | None = _id("The account (must be visible to you).")
    contact_id: int | None = _id("The primary contact (must be visible to you).")
    pipeline_id: int | None = _id("Defaults to the default pipeline on create.")
    stage_id: int | None = _id(
        "A stage of the pipeline; defaults to its first open stage. Changing it moves the "
        "opportunity (stage history, probability, closed_at, won consequences)."
    )
    amount: AmountIn | None = Field(None, description=DECIMAL_DOC)
    currency: str | None = Field(None, max_length=3, description="ISO 4217; default: base.")
    expected_close_date: dt.date | None = Field(
        None, description="Defaults to 30 days from today; cannot be cleared."
    )
    probability: ProbabilityIn | None = Field(
        None, description="0 to 100; defaults to (and on a move follows) the stage's."
    )
    source_campaign: str | None = Field(None, max_length=200)
    lost_reason: str | None = Field(
        None, max_length=200, description="Required to enter a lost stage."
    )
    description: str | None = Field(None, max_length=10000)


class OpportunityCreateIn(OpportunityFieldsIn):
    name: str = Field(min_length=1, max_length=200)


class OpportunityPatchIn(OpportunityFieldsIn):
    """Only the fields sent change."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    name: str | None = Field(None, min_length=1, max_length=200)


class OpportunityMoveIn(InputSchema):
    stage_id: int = Field(ge=1, le=MAX_ID, description="A stage of the opportunity's pipeline.")
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    lost_reason: str | None = Field(
        None, max_length=200, description="Why it was lost; required for a lost stage."
    )


def _stage_kind(opportunity: Any) -> str | None:
    stage = getattr(opportunity, "stage", None)
    return stage.kind if stage is not None else None


def _amount(opportunity: Any) -> Decimal:
    return round_money(Decimal(opportunity.amount), opportunity.currency)


class OpportunityOut(RecordOut):
    computed = {**RecordOut.computed, "status": _stage_kind, "amount": _amount}

    name: str | None = None
    account_id: int | None = None
    contact_id: int | None = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    status: str | None = Field(None, description="open, won or lost (the stage's kind).")
    amount: Decimal | None = Field(None, description="Rounded to the currency's minor unit.")
    currency: str | None = None
    expected_close_date: dt.date | None = None
    probability: Decimal | None = None
    source_campaign: str | None = None
    campaign_id: int | None = Field(
        None, description="The campaign that sourced the deal (from the converted lead)."
    )
    lost_reason: str | None = None
    description: str | None = None
    stage_changed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


class StageChangeOut(Schema):
    id: int
    from_stage_id: int | None = Field(description="Null for the creation.")
    to_stage_id: int | None = Field(description="Null when the stage was deleted since.")
    actor_id: int | None
    at: dt.datetime


OPPORTUNITY_EXPORT_COLUMNS = (
    "id", "external_id", "name", "account_id", "contact_id", "pipeline_id", "stage_id",
    "amount", "currency", "expected_close_date", "probability", "source_campaign",
    "lost_reason", "stage_changed_at", "closed_at", "owner_id", "team_id", "tags",
    "created_at", "updated_at",
)  # fmt: skip


# -- pipelines --------------------------------------------------------------------------------


class StageIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    probability: ProbabilityIn = "0"
    kind: StageKindValue = "open"


class StagePatchIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    probability: ProbabilityIn | None = None
    kind: StageKindValue | None = None
    version: Version


class StageOrderIn(InputSchema):
    stage_ids: list[int] = Field(max_length=200, description="Every stage id, in the new order.")
    version: int = Field(
        ge=1,
        le=MAX_ID,
        description="The pipeline's `version` you read (the order is the "
        "pipeline's); a stale one is refused with 409 and nothing changes.",
    )


class StageOut(Schema):
    id: int
    version: int
    name: str
    position: int
    probability: Decimal
    kind: str


class PipelineCreateIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    is_default: bool = False
    is_active: bool = True
    stages: list[StageIn] | None = Field(
        None, max_length=50, description="In order; default: the standard six stages."
    )


class PipelinePatchIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    is_default: bool | None = Field(None, description="Only `true`: make this the default.")
    is_active: bool | None = None
    position: int | None = Field(None, ge=0, le=10_000)
    version: Version


class PipelineOut(Schema):
    id: int
    version: int
    name: str
    position: int
    is_default: bool
    is_active: bool
    stages: list[StageOut]


# -- exchange rates ---------------------------------------------------------------------------


class ExchangeRateIn(InputSchema):
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, not the base.")
    valid_from: dt.date
    rate: AmountIn = Field(description='Base currency units per unit, e.g. "1.0850".')


class ExchangeRatePatchIn(InputSchema):
    currency: str | None = Field(None, min_length=3, max_length=3)
    valid_from: dt.date | None = None
    rate: AmountIn | None = None
    version: Version


class ExchangeRateOut(Schema):
    id: int
    version: int
    currency: str
    valid_from: dt.date
    rate: DecimalText = Field(description='Base currency units per unit, e.g. "1.085".')


# -- onboarding -------------------------------------------------------------------------------


class StepIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    due_offset_days: int = Field(0, ge=0, le=3650, description="Due this many days after start.")
    default_assignee_id: int | None = _id("Default: the opportunity's owner.")


class OnboardingTemplateIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    is_default: bool = False
    steps: list[StepIn] = Field(default_factory=list, max_length=100)


class OnboardingTemplatePatchIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    is_default: bool | None = Field(None, description="Only `true`: make this the default.")
    steps: list[StepIn] | None = Field(None, max_length=100, description="Replaces every step.")
    version: Version


class StepOut(Schema):
    id: int
    title: str
    position: int
    due_offset_days: int
    default_assignee_id: int | None


class OnboardingTemplateOut(Schema):
    id: int
    version: int
    name: str
    is_default: bool
    steps: list[StepOut]


class OnboardingStepOut(Schema):
    task_id: int
    title: str
    status: str
    due_at: dt.datetime | None
    owner_id: int | None
    completed_at: dt.datetime | None


class ProgressOut(Schema):
    done: int
    total: int = Field(description="Steps, cancelled ones left out.")
    percent: int


class OnboardingOut(OutputSchema):
    id: int
    account_id: int
    opportunity_id: int | None
    template_id: int | None
    started_at: dt.datetime
    completed_at: dt.datetime | None
    progress: ProgressOut


class OnboardingDetailOut(OnboardingOut):
    steps: list[OnboardingStepOut] = Field(
        description="The step tasks you may see (progress counts every step)."
    )


# -- reports ----------------------------------------------------------------------------------


class ForecastCellOut(Schema):
    weighted: DecimalText = Field(description="Σ amount * rate * probability / 100, open.")
    open_amount: DecimalText = Field(description="Σ amount * rate, open.")
    open_count: int
    won_amount: DecimalText = Field(description="Σ amount * rate, won (by close month).")
    won_count: int


class ForecastRowOut(ForecastCellOut):
    month: str = Field(description="YYYY-MM.")
    owner_id: int | None
    owner_name: str | None


class ForecastMonthOut(ForecastCellOut):
    month: str


class ForecastOwnerOut(ForecastCellOut):
    owner_id: int | None
    owner_name: str | None


class ForecastOut(Schema):
    currency: str = Field(description="The base currency every amount is converted to.")
    start: dt.date
    end: dt.date
    pipeline_id: int | None
    owner_id: int | None
    rows: list[ForecastRowOut] = Field(description="Per month and owner, months ascending.")
    months: list[ForecastMonthOut] = Field(description="Every month of the window.")
    owners: list[ForecastOwnerOut]
    total: ForecastCellOut


class StageStatsOut(Schema):
    stage_id: int
    name: str
    kind: str
    position: int
    open_count: int
    open_value: DecimalText
    count_share_percent: DecimalText | None
    value_share_percent: DecimalText | None
    reached: int | None = Field(description="Opportunities that got this far (funnel stages).")
    conversion_percent: DecimalText | None = Field(
        description="Of those that reached this stage, the share that reached the next one."
    )
    avg_days: DecimalText | None = Field(description="Average length of a stay (open stages).")
    stays: int


class PipelineStatsOut(Schema):
    pipeline_id: int
    currency: str
    computed_at: dt.datetime
    open_count: int
    open_value: DecimalText
    won_count: int
    lost_count: int
    win_rate_percent: DecimalText | None
    avg_sales_cycle_days: DecimalText | None
    bottleneck_stage_id: int | None
    stages: list[StageStatsOut]
