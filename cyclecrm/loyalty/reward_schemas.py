"""API shapes for rewards, redemptions, member statements and program figures."""

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, Version


class RewardFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    points_cost: int | None = Field(None, ge=1, le=10_000_000)
    stock: int | None = Field(
        None, ge=0, le=2_000_000_000, description="Units left; null for unlimited."
    )
    valid_from: dt.date | None = Field(None, description="First day it can be redeemed.")
    valid_until: dt.date | None = Field(None, description="Last day it can be redeemed.")
    is_active: bool | None = None


class RewardCreateIn(RewardFieldsIn):
    program_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=200)
    points_cost: int = Field(ge=1, le=10_000_000)


class RewardPatchIn(RewardFieldsIn):
    version: Version


class RewardOut(Schema):
    id: int
    version: int
    program_id: int
    name: str
    description: str
    points_cost: int
    stock: int | None = Field(description="Units left; null for unlimited.")
    valid_from: dt.date | None
    valid_until: dt.date | None
    is_active: bool
    available: bool = Field(description="Redeemable today: active, within its dates, in stock.")
    created_at: dt.datetime


class RedemptionCancelIn(InputSchema):
    reason: str = Field(
        "", max_length=300, description="Required to cancel a confirmed redemption."
    )


class RedemptionOut(Schema):
    id: int
    member_id: int
    contact_id: int
    program_id: int
    reward_id: int
    reward_name: str
    points: int
    status: str = Field(description="reserved, confirmed or cancelled.")
    reserved_at: dt.datetime
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    note: str
    actor_id: int | None


class TierOut(Schema):
    id: int
    name: str
    rank: int
    threshold: Decimal
    benefits: str
    color: str


class EntryOut(Schema):
    id: int
    kind: str = Field(description="earn, redeem, refund, expire or adjust.")
    points: int
    balance_after: int
    reason: str
    expires_at: dt.datetime | None
    redemption_id: int | None
    created_at: dt.datetime


class ProgramRefOut(Schema):
    id: int
    name: str
    currency: str


class StatementOut(Schema):
    member_id: int
    contact_id: int
    program: ProgramRefOut
    joined_at: dt.datetime
    balance: int
    tier: TierOut | None
    tier_basis: str = Field(description="points or spend: what tiers are measured on.")
    tier_measure: Decimal = Field(description="Points earned (or spend) in the tier window.")
    next_tier: TierOut | None
    to_next_tier: Decimal | None = Field(description="How much more reaches the next tier.")
    progress_percent: int = Field(ge=0, le=100)
    expiring_soon: int = Field(description="At most this many points expire before the date.")
    expiring_before: dt.datetime
    recent_redemptions: list[RedemptionOut]
    entries: list[EntryOut] = Field(description="The newest ledger entries, newest first.")
    entries_next_cursor: str | None = Field(
        None, description="Pass as `cursor` to .../ledger for more history."
    )


class StatementLinkOut(Schema):
    email_id: int = Field(description="The outbound e-mail interaction (queued).")
    expires_at: dt.datetime


class BuyerFiguresOut(Schema):
    buyers: int
    orders: int
    revenue: Decimal
    repeat_buyers: int
    repeat_purchase_rate: float | None = Field(description="Buyers with 2+ orders ÷ buyers.")
    average_order_value: Decimal | None


class FiguresOut(Schema):
    program_id: int
    currency: str
    since: dt.datetime
    until: dt.datetime
    members: int
    active_members: int = Field(
        description="Members with a ledger entry or paid order in the 90 days up to `until`."
    )
    points_issued: int
    points_redeemed: int = Field(description="Redeemed minus refunded.")
    points_expired: int
    redemption_rate: float | None = Field(description="Redeemed ÷ issued.")
    members_buying: BuyerFiguresOut
    non_members_buying: BuyerFiguresOut


class PublicRedemptionOut(Schema):
    reward_name: str
    points: int
    status: str
    reserved_at: dt.datetime


class PublicEntryOut(Schema):
    kind: str
    points: int
    balance_after: int
    reason: str
    created_at: dt.datetime


class PublicStatementOut(Schema):
    """What the customer sees from the e-mailed link: no staff notes, no internal ids."""

    program_name: str
    first_name: str
    balance: int
    tier_name: str | None
    next_tier_name: str | None
    to_next_tier: Decimal | None
    progress_percent: int
    expiring_soon: int
    expiring_before: dt.datetime
    recent_redemptions: list[PublicRedemptionOut]
    entries: list[PublicEntryOut]
