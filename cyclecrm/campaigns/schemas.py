"""API input and output shapes for campaigns (the rules stay in campaigns.services)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema
from cyclecrm.campaigns.models import (
    CampaignStatus,
    CampaignType,
    CostCategory,
    MemberStatus,
    TouchChannel,
)
from cyclecrm.contacts.schemas import VERSION_DOC, RecordIn, RecordOut

TypeValue = Literal[tuple(CampaignType.values)]
StatusValue = Literal[tuple(CampaignStatus.values)]
MemberStatusValue = Literal[tuple(MemberStatus.values)]
CategoryValue = Literal[tuple(CostCategory.values)]
ChannelValue = Literal[tuple(TouchChannel.values)]
Ids = list[Annotated[int, Field(ge=1, le=MAX_ID)]]
MONEY_DOC = 'A decimal string in the base currency, e.g. `"1500.00"`.'


def _id(description: str) -> int | None:
    return Field(None, ge=1, le=MAX_ID, description=description)


class CampaignFieldsIn(RecordIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(
        None, max_length=100, description="The `utm_campaign` value; defaults to the name as slug."
    )
    type: TypeValue | None = None
    status: StatusValue | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: str | None = Field(None, max_length=30, description=MONEY_DOC)
    expected_revenue: str | None = Field(None, max_length=30, description=MONEY_DOC)
    goal: str | None = Field(None, max_length=2000)
    target_leads: int | None = Field(None, ge=0, le=10**9, description="Numeric goal: leads.")
    description: str | None = Field(None, max_length=10000)


class CampaignCreateIn(CampaignFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    type: TypeValue


class CampaignPatchIn(CampaignFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class CampaignOut(RecordOut):
    name: str
    code: str
    type: str
    status: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: Decimal
    expected_revenue: Decimal
    goal: str
    target_leads: int | None = None
    description: str
    custom: dict | None = None


class CampaignCostIn(InputSchema):
    amount: str = Field(max_length=30, description=MONEY_DOC)
    date: dt.date | None = Field(None, description="Defaults to today.")
    category: CategoryValue = CostCategory.OTHER
    note: str = Field("", max_length=300)


class CampaignCostOut(OutputSchema):
    id: int
    date: dt.date
    amount: Decimal
    category: str
    note: str
    created_at: dt.datetime
    created_by_id: int | None = None


class CampaignMembersAddIn(InputSchema):
    contact_ids: Ids = Field(default_factory=list, max_length=5000)
    lead_ids: Ids = Field(default_factory=list, max_length=5000)
    segment_id: int | None = _id("Add every contact of this segment you may read.")
    status: MemberStatusValue = MemberStatus.SENT


class CampaignMemberIdsIn(InputSchema):
    member_ids: Ids = Field(min_length=1, max_length=5000)


class CampaignMemberStatusIn(CampaignMemberIdsIn):
    status: MemberStatusValue


class CampaignMembersChangedOut(OutputSchema):
    changed: int


class CampaignMemberOut(OutputSchema):
    id: int
    contact_id: int | None = None
    lead_id: int | None = None
    name: str = Field(description="The contact's or lead's name.")
    status: str
    added_at: dt.datetime
    sent_at: dt.datetime | None = None
    responded_at: dt.datetime | None = None
    converted_at: dt.datetime | None = None


class CampaignTouchIn(InputSchema):
    lead_id: int | None = _id("A lead you may read.")
    contact_id: int | None = _id("A contact you may read.")
    opportunity_id: int | None = _id("An opportunity you may read.")
    channel: ChannelValue = TouchChannel.MANUAL
    at: dt.datetime | None = Field(None, description="When (default: now).")


class CampaignTouchOut(OutputSchema):
    id: int
    campaign_id: int
    lead_id: int | None = None
    contact_id: int | None = None
    opportunity_id: int | None = None
    channel: str
    touched_at: dt.datetime


class CampaignUtmIn(InputSchema):
    base_url: str = Field(max_length=2000, description="The landing page (http or https).")
    utm_source: str = Field("", max_length=200, description="e.g. `newsletter`, `linkedin`.")
    utm_medium: str = Field("", max_length=200, description="e.g. `email`, `cpc`, `social`.")
    utm_campaign: str = Field("", max_length=200, description="Defaults to the campaign's code.")
    utm_term: str = Field("", max_length=200)
    utm_content: str = Field("", max_length=200)


class CampaignUtmBuildIn(CampaignUtmIn):
    campaign_id: int | None = _id("A campaign whose code fills `utm_campaign`.")


class CampaignUtmBuiltOut(OutputSchema):
    url: str


class CampaignUtmLinkOut(OutputSchema):
    id: int
    base_url: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    url: str
    created_at: dt.datetime


class CampaignModelFiguresOut(OutputSchema):
    revenue: Decimal = Field(description="Won revenue credited to the campaign.")
    roi: Decimal | None = Field(
        None, description="(revenue - actual cost) / actual cost; null when nothing was spent."
    )


class CampaignAttributionOut(OutputSchema):
    currency: str = Field(description="The base currency all amounts are in.")
    budget: Decimal
    actual_cost: Decimal
    members: dict[str, int] = Field(description="Members by status.")
    leads_sourced: int
    opportunities_sourced: int
    customers: int = Field(description="Won opportunities the campaign touched before closing.")
    cost_per_lead: Decimal | None = None
    cost_per_customer: Decimal | None = None
    first_touch: CampaignModelFiguresOut
    last_touch: CampaignModelFiguresOut
    linear: CampaignModelFiguresOut
    unconverted: int = Field(description="Won deals left out for lack of an exchange rate.")
