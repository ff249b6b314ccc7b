"""The case and article list filters, shared by the API (query parameters) and the web lists."""

import datetime as dt

from django.db.models import F, Q
from django.utils import timezone
from pydantic import Field, field_validator

from cyclecrm.api.schemas import Instant
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


# The two SLA targets of a case: (when it was met, when it fell due, when the sweep saw it missed).
SLA_TARGETS = {
    "first_response": ("first_responded_at", "first_response_due", "first_response_breached_at"),
    "resolution": ("resolved_at", "resolution_due", "resolution_breached_at"),
}


def _between(field: str, after: dt.datetime | None, before: dt.datetime | None) -> Q:
    out = Q()
    if after is not None:
        out &= Q(**{f"{field}__gte": after})
    if before is not None:
        out &= Q(**{f"{field}__lt": before})
    return out


def sla_met_q(target: str, after: dt.datetime | None, before: dt.datetime | None) -> Q:
    """Cases that met `target` (at or before its due time, no breach recorded), dated by when
    it was met."""
    done, due, breached = SLA_TARGETS[target]
    return Q(
        **{f"{due}__isnull": False, f"{breached}__isnull": True, f"{done}__lte": F(due)}
    ) & _between(done, after, before)


def sla_missed_q(target: str, after: dt.datetime | None, before: dt.datetime | None) -> Q:
    """Cases that missed `target`: the escalation sweep recorded the breach, or it was met
    after its due time; dated by the due time."""
    done, due, breached = SLA_TARGETS[target]
    late = Q(**{f"{breached}__isnull": False}) | Q(**{f"{done}__gt": F(due)})
    return Q(**{f"{due}__isnull": False}) & late & _between(due, after, before)


def sla_missed_any_q(after: dt.datetime | None, before: dt.datetime | None) -> Q:
    """Cases that missed either SLA target with its due time in the range."""
    return sla_missed_q("first_response", after, before) | sla_missed_q("resolution", after, before)


def open_at_q(instant: dt.datetime) -> Q:
    """Cases open at `instant`: created before it and not resolved before it (closing a case
    also stamps `resolved_at`; reopening clears it)."""
    return Q(created_at__lt=instant) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=instant))


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
    responded_after: Instant | None = Field(None, description="First response at or after.")
    responded_before: Instant | None = Field(None, description="First response before.")
    resolved_after: Instant | None = Field(None, description="Resolved at or after.")
    resolved_before: Instant | None = Field(None, description="Resolved before.")
    open_at: Instant | None = Field(
        None, description="Cases open at this instant: created before it, not resolved before it."
    )
    sla_missed_after: Instant | None = Field(
        None, description="Cases that missed an SLA target due at or after this instant."
    )
    sla_missed_before: Instant | None = Field(
        None, description="Cases that missed an SLA target due before this instant."
    )

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

    def filter_responded_after(self, value: dt.datetime | None) -> Q:
        return Q(first_responded_at__gte=value) if value else Q()

    def filter_responded_before(self, value: dt.datetime | None) -> Q:
        return Q(first_responded_at__lt=value) if value else Q()

    def filter_resolved_after(self, value: dt.datetime | None) -> Q:
        return Q(resolved_at__gte=value) if value else Q()

    def filter_resolved_before(self, value: dt.datetime | None) -> Q:
        return Q(resolved_at__lt=value) if value else Q()

    def filter_open_at(self, value: dt.datetime | None) -> Q:
        return open_at_q(value) if value else Q()

    def filter_sla_missed_after(self, value: dt.datetime | None) -> Q:
        # Both bounds select one period of one condition: applied together, here.
        return sla_missed_any_q(value, self.sla_missed_before) if value else Q()

    def filter_sla_missed_before(self, value: dt.datetime | None) -> Q:
        if value is None or self.sla_missed_after is not None:
            return Q()
        return sla_missed_any_q(None, value)


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
