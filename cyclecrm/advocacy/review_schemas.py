"""API shapes for review policies, review requests, reviews, testimonials and summaries."""

import datetime as dt
from typing import Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema
from cyclecrm.contacts.schemas import VERSION_DOC

TriggerValue = Literal["opportunity_won", "onboarding_completed", "nps_promoter", "manual"]
StatusValue = Literal["pending", "approved", "rejected"]


class ReviewPolicyFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    trigger: TriggerValue | None = None
    is_active: bool | None = None
    delay_days: int | None = Field(None, ge=0, le=3650, description="Days after the trigger.")
    quiet_days: int | None = Field(
        None, ge=0, le=3650, description="No second request to a contact within this many days."
    )
    link_valid_days: int | None = Field(None, ge=1, le=3650, description="How long a link works.")
    email_subject: str | None = Field(None, min_length=1, max_length=200)
    email_intro: str | None = Field(None, max_length=5000)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class ReviewPolicyCreateIn(ReviewPolicyFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    trigger: TriggerValue
    email_subject: str = Field(min_length=1, max_length=200)


class ReviewPolicyPatchIn(ReviewPolicyFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class ReviewPolicyOut(OutputSchema):
    id: int
    name: str
    trigger: str
    is_active: bool
    delay_days: int
    quiet_days: int
    link_valid_days: int
    email_subject: str
    email_intro: str
    owner_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ReviewRequestCreateIn(InputSchema):
    contact_id: int = Field(ge=1, le=MAX_ID, description="The contact asked for a review now.")


class ReviewRequestOut(OutputSchema):
    id: int
    policy_id: int | None
    trigger: str
    contact_id: int
    account_id: int | None
    product_id: int | None
    opportunity_id: int | None
    due_at: dt.datetime
    sent_at: dt.datetime | None
    expires_at: dt.datetime
    answered_at: dt.datetime | None
    email_id: int | None
    created_at: dt.datetime


class ReviewLogIn(InputSchema):
    contact_id: int = Field(ge=1, le=MAX_ID)
    rating: int = Field(ge=1, le=5)
    title: str = Field("", max_length=200)
    text: str = Field("", max_length=5000)
    publish_consent: bool = Field(False, description="The customer allows publishing it.")
    publish_name: bool = Field(False, description="... with their name (needs publish_consent).")
    publish_company: bool = Field(
        False, description="... with their company (needs publish_consent)."
    )
    account_id: int | None = Field(None, ge=1, le=MAX_ID, description="Default: the contact's.")
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    submitted_at: dt.datetime | None = Field(None, description="When it was given; default now.")


class ReviewRejectIn(InputSchema):
    reason: str = Field(min_length=1, max_length=300)


class ReviewOut(OutputSchema):
    id: int
    request_id: int | None
    contact_id: int
    account_id: int | None
    product_id: int | None
    rating: int
    title: str
    text: str
    publish_consent: bool
    publish_name: bool
    publish_company: bool
    status: str
    featured: bool
    rejection_reason: str
    moderated_at: dt.datetime | None
    moderated_by_id: int | None
    submitted_at: dt.datetime
    owner_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class TestimonialOut(OutputSchema):
    id: int
    rating: int
    title: str
    text: str
    author: str = Field(description="Empty unless the customer allowed their name.")
    company: str = Field(description="Empty unless the customer allowed their company.")
    product: str
    featured: bool
    submitted_on: dt.date


class ReviewSummaryOut(OutputSchema):
    count: int = Field(description="Approved reviews.")
    average: float | None = Field(description="Average rating of approved reviews.")
    pending: int = Field(description="Reviews awaiting moderation.")
    by_rating: dict[str, int] = Field(description="Approved reviews per rating 1-5.")


class PublicReviewIn(InputSchema):
    rating: int = Field(description="1 to 5.")
    title: str = Field("", max_length=1000)
    text: str = Field("", max_length=20000)
    publish_consent: bool = False
    publish_name: bool = False
    publish_company: bool = False
