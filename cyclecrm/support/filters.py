"""The case and article list filters, shared by the API (query parameters) and the web lists."""

from django.db.models import Q
from django.utils import timezone
from pydantic import Field, field_validator

from cyclecrm.contacts.filters import RecordFilters
from cyclecrm.core.db import search_q
from cyclecrm.support.models import (
    ACTIVE_STATUSES,
    ArticleStatus,
    CaseChannel,
    CasePriority,
    CaseStatus,
)
from cyclecrm.support.sla import breaching_soon_window

CASE_SEARCH_FIELDS = ("number", "subject")
ARTICLE_SEARCH_FIELDS = ("title", "search_text")


def _split_choices(value: str | None, allowed: list[str], what: str) -> str | None:
    """`new,open` -> the same, normalized; an unknown value is refused naming it."""
    if value is None:
        return None
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in parts if part not in allowed]
    if unknown:
        raise ValueError(f"Unknown {what} {', '.join(unknown)}; use {', '.join(allowed)}.")
    return ",".join(dict.fromkeys(parts)) or None


def breaching_q() -> Q:
    """Cases whose running SLA clock is past due or due within the "breaching soon" window."""
    return Q(status__in=ACTIVE_STATUSES, next_due_at__lte=timezone.now() + breaching_soon_window())


class CaseFilters(RecordFilters):
    """`team_id` is the queue, `owner_id` the assignee."""

    q: str | None = Field(None, description="Words in the case number or subject.")
    mine: bool | None = Field(None, description="Only cases assigned to you.")
    status: str | None = Field(
        None, description="One status or several, comma-separated: `new,open`."
    )
    priority: str | None = Field(
        None, description="One priority or several, comma-separated: `high,urgent`."
    )
    channel: str | None = Field(None, description="One channel or several, comma-separated.")
    breaching: bool | None = Field(
        None,
        description=(
            "`true`: new, open or pending cases whose next SLA due time has passed or comes "
            "within the breaching-soon window (60 minutes by default); `false`: the others."
        ),
    )
    contact_id: int | None = None
    account_id: int | None = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        return _split_choices(value, CaseStatus.values, "status")

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, value: str | None) -> str | None:
        return _split_choices(value, CasePriority.values, "priority")

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        return _split_choices(value, CaseChannel.values, "channel")

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, CASE_SEARCH_FIELDS) if value else Q()

    def filter_mine(self, value: bool | None) -> Q:
        # Needs the actor, so `case_list` applies it.
        return Q()

    def filter_status(self, value: str | None) -> Q:
        return Q(status__in=value.split(",")) if value else Q()

    def filter_priority(self, value: str | None) -> Q:
        return Q(priority__in=value.split(",")) if value else Q()

    def filter_channel(self, value: str | None) -> Q:
        return Q(channel__in=value.split(",")) if value else Q()

    def filter_breaching(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        return breaching_q() if value else ~breaching_q()


class ArticleFilters(RecordFilters):
    q: str | None = Field(None, description="Words in the title or body.")
    status: str | None = Field(None, description="`draft` or `published`.")
    category_id: int | None = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        return _split_choices(value, ArticleStatus.values, "status")

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, ARTICLE_SEARCH_FIELDS) if value else Q()

    def filter_status(self, value: str | None) -> Q:
        return Q(status__in=value.split(",")) if value else Q()
