"""The lead list's one filter definition, used by the API (query parameters) and the web list."""

from typing import Literal

from django.db.models import Q
from pydantic import Field

from cyclecrm.contacts.filters import RecordFilters
from cyclecrm.core.db import SearchIndex, search_q
from cyclecrm.leads import funnel

LEAD_SEARCH_FIELDS = ("first_name", "last_name", "company", "email")
# The index serving `q` (built by leads.0008); see core/db/search_index.py.
LEAD_SEARCH = SearchIndex("leads_lead", LEAD_SEARCH_FIELDS)
SCORE_BOUND = 1_000_000_000


class LeadFilters(RecordFilters):
    q: str | None = Field(None, max_length=200)
    status: str | None = None
    source: str | None = None
    country: str | None = None
    grade: str | None = None
    score_min: int | None = Field(None, ge=-SCORE_BOUND, le=SCORE_BOUND)
    score_max: int | None = Field(None, ge=-SCORE_BOUND, le=SCORE_BOUND)
    converted: bool | None = None
    email: str | None = None
    source_campaign_id: int | None = None
    # A funnel step (leads.funnel.STEPS): the leads that reached it or a later one.
    reached: Literal["lead", "mql", "sql", "opportunity", "won"] | None = None

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, LEAD_SEARCH) if value else Q()

    def filter_country(self, value: str | None) -> Q:
        return Q(country=value.upper()) if value else Q()

    def filter_grade(self, value: str | None) -> Q:
        return Q(grade=value.strip().upper()) if value else Q()

    def filter_score_min(self, value: int | None) -> Q:
        return Q(score__gte=value) if value is not None else Q()

    def filter_score_max(self, value: int | None) -> Q:
        return Q(score__lte=value) if value is not None else Q()

    def filter_converted(self, value: bool | None) -> Q:
        return Q() if value is None else Q(converted_at__isnull=not value)

    def filter_email(self, value: str | None) -> Q:
        return Q(email=value.strip().lower()) if value else Q()

    def filter_reached(self, value: str | None) -> Q:
        return funnel.reached_q(value) if value else Q()
