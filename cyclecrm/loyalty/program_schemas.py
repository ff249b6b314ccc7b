"""API shapes for programs, earning rules, tiers, members and their ledger entries."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema, Version
from cyclecrm.contacts.schemas import VERSION_DOC

Action = Literal[
    "spend", "first_purchase", "birthday", "review_written", "referral_converted", "survey_answered"
]
DAYS = Field(None, ge=0, le=3650)


class ProgramFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    currency: str | None = Field(None, description="ISO-4217 code; only spend in it earns.")
    is_active: bool | None = None
    points_valid_days: int | None = Field(
        None, ge=0, le=3650, description="Earned points expire after this many days (0: never)."
    )
    tier_basis: Literal["points", "spend"] | None = None
    tier_window_days: int | None = Field(None, ge=1, le=3650, description="The rolling window.")
    statement_link_valid_days: int | None = DAYS
    referral_reward_kind: Literal["points", "credit"] | None = None
    referral_reward_credit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    referral_refuse_same_domain: bool | None = None
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class ProgramCreateIn(ProgramFieldsIn):
    name: str = Field(min_length=1, max_length=200)


class ProgramPatchIn(ProgramFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class ProgramOut(OutputSchema):
    id: int
    name: str
    description: str
    currency: str
    is_active: bool
    points_valid_days: int
    tier_basis: str
    tier_window_days: int
    statement_link_valid_days: int
    referral_reward_kind: str
    referral_reward_credit: Decimal
    referral_refuse_same_domain: bool
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RuleFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = Field(
        None, max_length=100, description="Spend rules only: count only lines of this category."
    )
    points_per_unit: Decimal | None = Field(
        None, ge=0, max_digits=10, decimal_places=4, description="Spend rules: per currency unit."
    )
    points: int | None = Field(None, ge=0, le=10_000_000, description="Action rules: per action.")
    cap_points: int | None = Field(
        None, ge=0, le=10_000_000, description="Most points per member per period (0: no cap)."
    )
    cap_period_days: int | None = Field(None, ge=0, le=3650, description="0: the whole life.")
    valid_from: dt.date | None = None
    valid_until: dt.date | None = Field(None, description="Inclusive; on or after valid_from.")
    is_active: bool | None = None


class RulePatchIn(RuleFieldsIn):
    version: Version


class RuleCreateIn(RuleFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    action: Action


class RuleOut(OutputSchema):
    id: int
    version: int
    program_id: int
    name: str
    action: str
    category: str
    points_per_unit: Decimal
    points: int
    cap_points: int
    cap_period_days: int
    valid_from: dt.date | None
    valid_until: dt.date | None
    is_active: bool


class TierFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    rank: int | None = Field(None, ge=1, le=100, description="Higher is better; unique.")
    threshold: Decimal | None = Field(
        None,
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="Points (or spend) in the window; must increase with rank.",
    )
    benefits: str | None = Field(None, max_length=5000)
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class TierPatchIn(TierFieldsIn):
    version: Version


class TierCreateIn(TierFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    rank: int = Field(ge=1, le=100)
    threshold: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class TierOut(OutputSchema):
    id: int
    version: int
    program_id: int
    name: str
    rank: int
    threshold: Decimal
    benefits: str
    color: str


class MemberOut(OutputSchema):
    id: int
    program_id: int
    contact_id: int
    contact_name: str
    joined_at: dt.datetime
    tier_id: int | None
    tier_name: str | None
    tier_since: dt.datetime | None
    balance: int


class EntryOut(OutputSchema):
    id: int
    kind: str
    points: int
    balance_after: int
    reason: str
    source_key: str
    expires_at: dt.datetime | None
    rule_id: int | None
    order_id: int | None
    redemption_id: int | None
    referral_id: int | None
    created_at: dt.datetime
    created_by_id: int | None


class AdjustIn(InputSchema):
    points: int = Field(
        ge=-1_000_000, le=1_000_000, description="Positive adds, negative takes away; not 0."
    )
    reason: str = Field(min_length=1, max_length=300)


class EnrolIn(InputSchema):
    contact: int = Field(ge=1, le=MAX_ID, description="The contact to enrol.")


class RedeemIn(InputSchema):
    points: int | None = Field(
        None, ge=1, le=1_000_000, description="Redeem this many points (no reward)."
    )
    reward: int | None = Field(
        None, ge=1, le=MAX_ID, description="Reserve one unit of this reward instead."
    )
    reason: str = Field("", max_length=300, description="Why (a plain points redemption).")


class RedeemOut(OutputSchema):
    balance: int = Field(description="The member's balance after the redemption.")
    points: int = Field(description="Points redeemed.")
    entry_id: int = Field(description="The `redeem` ledger entry.")
    redemption_id: int | None = Field(description="The reward redemption (reserved), if any.")


class EnrolledOut(OutputSchema):
    enrolled: int = Field(description="Contacts that joined now.")
