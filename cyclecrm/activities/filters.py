"""The task and interaction list filters, shared by the API (query parameters) and the web list."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from pydantic import Field, field_validator

from cyclecrm.activities.models import (
    ACTIVE_STATUSES,
    Channel,
    Direction,
    TaskPriority,
    TaskStatus,
)
from cyclecrm.api.schemas import Instant
from cyclecrm.contacts.filters import RecordFilters
from cyclecrm.core.db import search_q

TASK_SEARCH_FIELDS = ("title",)
ACTIVE_STATUS_PARAM = ",".join(ACTIVE_STATUSES)


def _split_choices(value: str | None, allowed: list[str], what: str) -> str | None:
    """`open,in_progress` -> the same, normalized; an unknown value is refused."""
    if value is None:
        return None
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in parts if part not in allowed]
    if unknown:
        raise ValueError(f"Unknown {what} {', '.join(unknown)}; use {', '.join(allowed)}.")
    return ",".join(dict.fromkeys(parts)) or None


class TaskFilters(RecordFilters):
    q: str | None = Field(None, description="Words in the title.")
    mine: bool | None = Field(None, description="Only tasks assigned to you.")
    status: str | None = Field(
        None, description="One status or several, comma-separated: `open,in_progress`."
    )
    priority: str | None = Field(
        None, description="One priority or several, comma-separated: `high,urgent`."
    )
    due_after: Instant | None = Field(None, description="Due at or after this time.")
    due_before: Instant | None = Field(None, description="Due before this time.")
    overdue: bool | None = Field(
        None, description="`true`: open or in progress and past due; `false`: every other task."
    )
    contact_id: int | None = None
    account_id: int | None = None
    lead_id: int | None = None
    opportunity_id: int | None = None
    onboarding_id: int | None = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        return _split_choices(value, TaskStatus.values, "status")

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, value: str | None) -> str | None:
        return _split_choices(value, TaskPriority.values, "priority")

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, TASK_SEARCH_FIELDS) if value else Q()

    def filter_mine(self, value: bool | None) -> Q:
        # Needs the actor, so `task_list` applies it; nothing to do here.
        return Q()

    def filter_status(self, value: str | None) -> Q:
        return Q(status__in=value.split(",")) if value else Q()

    def filter_priority(self, value: str | None) -> Q:
        return Q(priority__in=value.split(",")) if value else Q()

    def filter_due_after(self, value: dt.datetime | None) -> Q:
        return Q(due_at__gte=value) if value else Q()

    def filter_due_before(self, value: dt.datetime | None) -> Q:
        return Q(due_at__lt=value) if value else Q()

    def filter_overdue(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        late = Q(status__in=ACTIVE_STATUSES, due_at__lt=timezone.now())
        return late if value else ~late


INTERACTION_SEARCH_FIELDS = ("subject",)


class InteractionFilters(RecordFilters):
    q: str | None = Field(None, description="Words in the subject.")
    channel: str | None = Field(
        None, description="One channel or several, comma-separated: `call,meeting`."
    )
    direction: str | None = Field(None, description="`inbound` or `outbound`.")
    occurred_after: Instant | None = Field(None, description="Happened at or after this time.")
    occurred_before: Instant | None = Field(None, description="Happened before this time.")
    contact_id: int | None = None
    account_id: int | None = None
    lead_id: int | None = None
    opportunity_id: int | None = None
    case_id: int | None = None
    message_id: str | None = Field(None, max_length=998, description="An e-mail's Message-ID.")
    thread_key: str | None = Field(None, max_length=255, description="An e-mail thread.")

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        return _split_choices(value, Channel.values, "channel")

    @field_validator("direction")
    @classmethod
    def _known_direction(cls, value: str | None) -> str | None:
        return _split_choices(value, Direction.values, "direction")

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, INTERACTION_SEARCH_FIELDS) if value else Q()

    def filter_channel(self, value: str | None) -> Q:
        return Q(channel__in=value.split(",")) if value else Q()

    def filter_direction(self, value: str | None) -> Q:
        return Q(direction__in=value.split(",")) if value else Q()

    def filter_occurred_after(self, value: dt.datetime | None) -> Q:
        return Q(occurred_at__gte=value) if value else Q()

    def filter_occurred_before(self, value: dt.datetime | None) -> Q:
        return Q(occurred_at__lt=value) if value else Q()
