"""One filter definition per list, used by the API (query parameters) and the web list."""

import datetime as dt

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field

from cyclecrm.api.schemas import Instant
from cyclecrm.core.db import SearchIndex, search_q

CONTACT_SEARCH_FIELDS = ("first_name", "last_name", "email", "phone", "mobile")
ACCOUNT_SEARCH_FIELDS = ("name", "domain")
# The indexes serving `q` (built by contacts.0005); see core/db/search_index.py.
CONTACT_SEARCH = SearchIndex("contacts_contact", CONTACT_SEARCH_FIELDS)
ACCOUNT_SEARCH = SearchIndex("contacts_account", ACCOUNT_SEARCH_FIELDS)


class RecordFilters(FilterSchema):
    """Filters every business record accepts."""

    owner_id: int | None = None
    team_id: int | None = None
    tag: str | None = None
    external_id: str | None = None
    created_after: Instant | None = None
    created_before: Instant | None = None
    updated_after: Instant | None = None

    def filter_tag(self, value: str | None) -> Q:
        return Q(tags__name=value) if value else Q()

    def filter_created_after(self, value: dt.datetime | None) -> Q:
        return Q(created_at__gte=value) if value else Q()

    def filter_created_before(self, value: dt.datetime | None) -> Q:
        return Q(created_at__lt=value) if value else Q()

    def filter_updated_after(self, value: dt.datetime | None) -> Q:
        return Q(updated_at__gte=value) if value else Q()


class AccountFilters(RecordFilters):
    q: str | None = None
    industry: str | None = None
    country: str | None = None
    parent_id: int | None = None

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, ACCOUNT_SEARCH) if value else Q()

    def filter_country(self, value: str | None) -> Q:
        return Q(billing_country=value.upper()) if value else Q()


class ContactFilters(RecordFilters):
    q: str | None = None
    account_id: int | None = None
    lifecycle_stage: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    language: str | None = None
    email: str | None = None
    do_not_contact: bool | None = None
    consent_email: bool | None = None
    last_interaction_after: Instant | None = None
    last_interaction_before: Instant | None = None
    min_interactions_30d: int | None = Field(None, ge=0)
    min_interactions_90d: int | None = Field(None, ge=0)

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, CONTACT_SEARCH) if value else Q()

    def filter_country(self, value: str | None) -> Q:
        return Q(country=value.upper()) if value else Q()

    def filter_email(self, value: str | None) -> Q:
        return Q(email=value.strip().lower()) if value else Q()

    def filter_last_interaction_after(self, value: dt.datetime | None) -> Q:
        return Q(last_interaction_at__gte=value) if value else Q()

    def filter_last_interaction_before(self, value: dt.datetime | None) -> Q:
        """Also contacts never interacted with: "not heard from since"."""
        if not value:
            return Q()
        return Q(last_interaction_at__lt=value) | Q(last_interaction_at__isnull=True)

    def filter_min_interactions_30d(self, value: int | None) -> Q:
        return Q(interactions_30d__gte=value) if value is not None else Q()

    def filter_min_interactions_90d(self, value: int | None) -> Q:
        return Q(interactions_90d__gte=value) if value is not None else Q()
