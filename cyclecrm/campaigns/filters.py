"""The campaign list filter, shared by the API (query parameters) and the web list."""

from django.db.models import Q
from pydantic import Field, field_validator

from cyclecrm.campaigns.models import CampaignStatus, CampaignType
from cyclecrm.contacts.filters import RecordFilters
from cyclecrm.core.db import search_q

CAMPAIGN_SEARCH_FIELDS = ("name", "code")


def _split(value: str | None, allowed: list[str], what: str) -> str | None:
    if value is None:
        return None
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in parts if part not in allowed]
    if unknown:
        raise ValueError(f"Unknown {what} {', '.join(unknown)}; use {', '.join(allowed)}.")
    return ",".join(dict.fromkeys(parts)) or None


class CampaignFilters(RecordFilters):
    q: str | None = Field(None, description="Words in the name or code.")
    type: str | None = Field(None, description="One type or several, comma-separated.")
    status: str | None = Field(None, description="One status or several, comma-separated.")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        return _split(value, CampaignType.values, "type")

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        return _split(value, CampaignStatus.values, "status")

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, CAMPAIGN_SEARCH_FIELDS) if value else Q()

    def filter_type(self, value: str | None) -> Q:
        return Q(type__in=value.split(",")) if value else Q()

    def filter_status(self, value: str | None) -> Q:
        return Q(status__in=value.split(",")) if value else Q()
