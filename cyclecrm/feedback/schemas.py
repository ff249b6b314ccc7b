import datetime as dt
from typing import Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema
from cyclecrm.contacts.schemas import VERSION_DOC

KindValue = Literal["nps", "csat"]
ContactIds = list[int]


class SurveyFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    question: str | None = Field(None, min_length=1, max_length=500)
    email_subject: str | None = Field(None, min_length=1, max_length=200)
    email_intro: str | None = Field(None, max_length=5000)
    link_valid_days: int | None = Field(None, ge=1, le=365, description="How long a link works.")
    is_active: bool | None = None
    target_contact_ids: list[int] | None = Field(
        None, max_length=5000, description="NPS target: the contacts asked when sent to target."
    )
    schedule_days: int | None = Field(
        None, ge=0, le=366, description="Days between scheduled sends to the target; 0: none."
    )
    queue_ids: list[int] | None = Field(
        None,
        max_length=200,
        description="CSAT: the queues (team ids) whose resolved cases get this survey.",
    )


class SurveyCreateIn(SurveyFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    kind: KindValue
    email_subject: str = Field(min_length=1, max_length=200)


class SurveyPatchIn(SurveyFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class SurveyOut(OutputSchema):
    id: int
    name: str
    kind: str
    question: str
    email_subject: str
    email_intro: str
    link_valid_days: int
    is_active: bool
    target_contact_ids: list[int]
    schedule_days: int
    owner_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SurveySendIn(InputSchema):
    contact_ids: list[int] = Field(
        min_length=1, max_length=500, description="Contacts to ask (ids you may see)."
    )


class SurveySendOut(OutputSchema):
    invitations: int = Field(description="Invitations sent.")
    skipped: dict[str, str] = Field(description="Contact id → why it was not sent.")


class SurveyResponseOut(OutputSchema):
    id: int
    survey_id: int
    contact_id: int
    case_id: int | None = None
    score: int
    comment: str
    category: str
    answered_at: dt.datetime


class ScoreOut(OutputSchema):
    n: int = Field(description="Answers counted.")
    score: float | None = Field(description="NPS (-100…100) or CSAT (%); null when n = 0.")
    low: float | None = Field(description="95 % interval, low end.")
    high: float | None = Field(description="95 % interval, high end.")
    positive: int = Field(description="Promoters (NPS) or satisfied (CSAT).")
    neutral: int = Field(description="Passives or neutral.")
    negative: int = Field(description="Detractors or unsatisfied.")


class TrendBucketOut(OutputSchema):
    start: dt.date
    figure: ScoreOut


class SurveyMetricsOut(OutputSchema):
    kind: str
    overall: ScoreOut
    period: str
    trend: list[TrendBucketOut]


class SurveyAnswerIn(InputSchema):
    score: int = Field(ge=0, le=10)
    comment: str = Field("", max_length=5000)
