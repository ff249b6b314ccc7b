"""One filter definition per list, used by the API (query parameters), the web list and the
board."""

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from pydantic import Field

from cyclecrm.api.schemas import Instant
from cyclecrm.contacts.filters import RecordFilters
from cyclecrm.core.db import search_q
from cyclecrm.pipeline.models import StageKind

OPPORTUNITY_SEARCH_FIELDS = ("name",)
AMOUNT_BOUND = Decimal(10) ** 14


class OpportunityFilters(RecordFilters):
    q: str | None = Field(None, max_length=200, description="Searches the name.")
    pipeline_id: int | None = None
    stage_id: int | None = None
    account_id: int | None = None
    contact_id: int | None = None
    campaign_id: int | None = Field(None, description="The campaign that sourced the deal.")
    status: StageKind | None = Field(None, description="open, won or lost (the stage's kind).")
    closed_after: Instant | None = Field(None, description="Closed at or after this instant.")
    closed_before: Instant | None = Field(None, description="Closed before this instant.")
    close_from: dt.date | None = Field(None, description="Expected close date on or after.")
    close_to: dt.date | None = Field(None, description="Expected close date on or before.")
    amount_min: Decimal | None = Field(
        None, ge=0, le=AMOUNT_BOUND, description="Amount at least (in its own currency)."
    )
    amount_max: Decimal | None = Field(
        None, ge=0, le=AMOUNT_BOUND, description="Amount at most (in its own currency)."
    )

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, OPPORTUNITY_SEARCH_FIELDS) if value else Q()

    def filter_status(self, value: StageKind | None) -> Q:
        return Q(stage__kind=value) if value else Q()

    def filter_closed_after(self, value: dt.datetime | None) -> Q:
        return Q(closed_at__gte=value) if value else Q()

    def filter_closed_before(self, value: dt.datetime | None) -> Q:
        return Q(closed_at__lt=value) if value else Q()

    def filter_close_from(self, value: dt.date | None) -> Q:
        return Q(expected_close_date__gte=value) if value else Q()

    def filter_close_to(self, value: dt.date | None) -> Q:
        return Q(expected_close_date__lte=value) if value else Q()

    def filter_amount_min(self, value: Decimal | None) -> Q:
        return Q(amount__gte=value) if value is not None else Q()

    def filter_amount_max(self, value: Decimal | None) -> Q:
        return Q(amount__lte=value) if value is not None else Q()


# The model fields each filter reads, for refusing filters on fields hidden from the caller.
OPPORTUNITY_FILTER_FIELDS = {
    "tag": ("tags",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
    "q": OPPORTUNITY_SEARCH_FIELDS,
    "status": ("stage",),
    "closed_after": ("closed_at",),
    "closed_before": ("closed_at",),
    "campaign_id": ("campaign",),
    "close_from": ("expected_close_date",),
    "close_to": ("expected_close_date",),
    "amount_min": ("amount",),
    "amount_max": ("amount",),
}
