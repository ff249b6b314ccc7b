"""API shapes of the advocacy view."""

import datetime as dt

from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import MAX_ID


class AdvocateFiltersIn(Schema):
    min_score: float | None = Field(None, ge=0, le=1e9, description="Score at least this.")
    account_id: int | None = Field(None, ge=1, le=MAX_ID, description="The contact's account.")
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="The contact's owner.")


class AdvocateOut(Schema):
    contact_id: int
    contact_name: str | None = Field(description="Null when contact names are hidden from you.")
    account_id: int | None
    owner_id: int | None
    score: float = Field(description="Decayed sum of the signals (docs/advocacy-advocates.md).")
    promoter_answers: int = Field(description="Promoter NPS answers in the last 24 months.")
    reviews: int = Field(description="Approved reviews rated 3 or more, last 24 months.")
    referrals: int = Field(description="Converted referrals, last 24 months.")
    mentions: int = Field(description="Inbound social interactions, last 24 months.")
    computed_at: dt.datetime | None


class SignalOut(Schema):
    signal: str = Field(
        description="promoter, detractor, review, referral_converted, referral_pending, mention."
    )
    component: str = Field(description="The count column it feeds; empty for score-only signals.")
    count: int
    points: float = Field(description="What it adds to the score now, after recency decay.")


class AdvocateDetailOut(AdvocateOut):
    signals: list[SignalOut] = Field(description="Each signal's count and points, live.")


class RefreshQueuedOut(Schema):
    task_id: str = Field(description="The background job's id (see /api/v1/jobs).")
