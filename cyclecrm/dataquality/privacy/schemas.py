"""API shapes of the privacy routes."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from cyclecrm.api.schemas import InputSchema, Version


class ConsentOut(Schema):
    id: int
    contact_id: int
    purpose: str
    granted: bool
    source: str
    text_shown: str
    recorded_at: dt.datetime
    recorded_by: str | None = Field(None, description="Username; null for the system.")

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str | None:
        return obj.recorded_by.username if obj.recorded_by_id else None


class ConsentCreateIn(InputSchema):
    purpose: Literal["email", "phone", "sms", "profiling"]
    granted: bool
    source: str = Field(..., max_length=100, description="Where it was given: form, call...")
    text_shown: str = Field("", max_length=5000, description="The wording the person saw.")


class ErasureOut(Schema):
    contact_id: int
    rows: dict[str, int] = Field(..., description="Related rows anonymized, per model.")


class RetentionPolicyOut(Schema):
    id: int
    version: int
    record_type: str
    max_age_days: int
    action: str
    is_active: bool
    last_run_at: dt.datetime | None
    last_run_count: int


class RetentionPolicyIn(InputSchema):
    record_type: Literal["lead", "contact", "interaction", "case", "form_submission"]
    max_age_days: int = Field(..., ge=1)
    action: Literal["anonymize", "delete"]
    is_active: bool = True


class RetentionPolicyPatchIn(InputSchema):
    max_age_days: int | None = Field(None, ge=1)
    action: Literal["anonymize", "delete"] | None = None
    is_active: bool | None = None
    version: Version


class RetentionRunOut(Schema):
    id: int
    policy_id: int
    dry_run: bool
    matched: int
    handled: int
    action: str
    ran_at: dt.datetime


class DryCountOut(Schema):
    record_type: str
    max_age_days: int
    matched: int
