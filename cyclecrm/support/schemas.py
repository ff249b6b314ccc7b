"""API input and output shapes for support (the rules stay in support.services)."""

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, SET_VERSION_DOC, InputSchema, OutputSchema, Version
from cyclecrm.contacts.schemas import VERSION_DOC, RecordIn, RecordOut, TagName
from cyclecrm.support import sla
from cyclecrm.support.models import (
    ArticleStatus,
    Case,
    CaseChannel,
    CasePriority,
    CaseStatus,
)

PriorityValue = Literal[tuple(CasePriority.values)]
ChannelValue = Literal[tuple(CaseChannel.values)]
StatusValue = Literal[tuple(CaseStatus.values)]
ArticleStatusValue = Literal[tuple(ArticleStatus.values)]
HHMM = r"^\d{2}:\d{2}(:\d{2})?$"


def _id(description: str) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


# -- cases --------------------------------------------------------------------------------------


class CaseFieldsIn(RecordIn):
    """`owner_id` is the assignee, `team_id` the queue."""

    description: str | None = Field(None, max_length=50000, description="HTML; sanitized.")
    contact: int | None = _id("The customer: a contact you may see.")
    account_id: int | None = _id("Defaults to the contact's account.")
    priority: PriorityValue | None = None
    channel: ChannelValue | None = None


class CaseCreateIn(CaseFieldsIn):
    subject: str = Field(min_length=1, max_length=200)


class CasePatchIn(CaseFieldsIn):
    """Only the fields sent change. A new priority or queue recomputes running due times."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    subject: str | None = Field(None, min_length=1, max_length=200)


class CaseStatusIn(InputSchema):
    status: StatusValue
    version: int | None = Field(
        None, ge=1, le=MAX_ID, description="Optional: the `version` you read (409 if stale)."
    )


class CaseFirstResponseIn(InputSchema):
    at: dt.datetime | None = Field(None, description="When the reply went out (default: now).")


class CaseArticleLinkIn(InputSchema):
    article_id: int = Field(ge=1, le=MAX_ID)


class CaseRemainingOut(OutputSchema):
    first_response_minutes: int | None = Field(
        None, description="Business minutes left to the first response; negative when late."
    )
    resolution_minutes: int | None = Field(
        None, description="Business minutes left to resolution; frozen while pending."
    )


def _remaining(case: Case) -> dict[str, int | None]:
    left = sla.remaining(case, timezone.now())
    return {
        "first_response_minutes": left["first_response_remaining_minutes"],
        "resolution_minutes": left["resolution_remaining_minutes"],
    }


def _late(due: dt.datetime | None, breached: dt.datetime | None, running: bool) -> bool:
    if breached is not None:
        return True
    return running and due is not None and due <= timezone.now()


def _first_breached(case: Case) -> bool:
    running = case.is_active and case.first_responded_at is None
    return _late(case.first_response_due, case.first_response_breached_at, running)


def _resolution_breached(case: Case) -> bool:
    running = case.status in (CaseStatus.NEW, CaseStatus.OPEN)
    return _late(case.resolution_due, case.resolution_breached_at, running)


class CaseOut(RecordOut):
    computed = {
        **RecordOut.computed,
        "remaining": _remaining,
        "first_response_breached": _first_breached,
        "resolution_breached": _resolution_breached,
    }

    number: str | None = None
    subject: str | None = None
    description: str | None = None
    contact_id: int | None = None
    account_id: int | None = None
    channel: str | None = None
    priority: str | None = None
    status: str | None = None
    status_changed_at: dt.datetime | None = None
    first_responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    sla_policy_id: int | None = None
    first_response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    first_response_breached_at: dt.datetime | None = None
    resolution_breached_at: dt.datetime | None = None
    first_response_breached: bool | None = Field(
        None, description="Marked as breached, or running past its due time."
    )
    resolution_breached: bool | None = Field(
        None, description="Marked as breached, or running past its due time."
    )
    escalated_at: dt.datetime | None = None
    paused_at: dt.datetime | None = Field(None, description="Set while pending.")
    remaining: CaseRemainingOut | None = None


class CaseStatusChangeOut(OutputSchema):
    from_status: str
    to_status: str
    actor_id: int | None = None
    at: dt.datetime


# -- configuration ------------------------------------------------------------------------------


class SlaPolicyFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    team_id: int | None = _id("The queue; null: the default policy for the priority.")
    first_response_minutes: int | None = Field(None, ge=1, description="Business minutes.")
    resolution_minutes: int | None = Field(None, ge=1, description="Business minutes.")
    escalate_to_priority: PriorityValue | Literal[""] | None = Field(
        None, description="On breach raise the case to this priority (never lowers it)."
    )
    notify_manager: bool | None = Field(
        None, description="On breach give the queue manager a task and an e-mail."
    )
    is_active: bool | None = None


class SlaPolicyCreateIn(SlaPolicyFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    priority: PriorityValue
    first_response_minutes: int = Field(ge=1, description="Business minutes.")
    resolution_minutes: int = Field(ge=1, description="Business minutes.")


class SlaPolicyPatchIn(SlaPolicyFieldsIn):
    priority: PriorityValue | None = None
    version: Version


class SlaPolicyOut(OutputSchema):
    id: int
    version: int
    name: str
    team_id: int | None = None
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    escalate_to_priority: str
    notify_manager: bool
    is_active: bool
    created_at: dt.datetime


class BusinessCalendarIn(InputSchema):
    timezone: str | None = Field(None, max_length=64, description="IANA name, e.g. Europe/Berlin.")
    working_days: list[int] | None = Field(
        None, max_length=7, description="Weekdays 0 (Monday) to 6 (Sunday)."
    )
    start_time: str | None = Field(None, pattern=HHMM, description="Opening, HH:MM local.")
    end_time: str | None = Field(None, pattern=HHMM, description="Closing, HH:MM local.")
    holidays: list[dt.date] | None = Field(None, max_length=1000)
    version: int | None = Field(None, ge=1, le=MAX_ID, description=SET_VERSION_DOC)


class BusinessCalendarOut(OutputSchema):
    team_id: int
    version: int
    timezone: str
    working_days: list[int]
    start_time: dt.time
    end_time: dt.time
    holidays: list[str]
    updated_at: dt.datetime


# -- knowledge base -----------------------------------------------------------------------------


class ArticleFieldsIn(InputSchema):
    slug: str | None = Field(None, max_length=200, description="Defaults to one from the title.")
    body: str | None = Field(None, max_length=200000, description="HTML; sanitized.")
    category_id: int | None = _id("An article category.")
    status: ArticleStatusValue | None = None
    owner_id: int | None = _id("The author (default: you).")
    team_id: int | None = _id("Defaults to the author's first team.")
    tags: list[TagName] | None = Field(None, max_length=100)


class ArticleCreateIn(ArticleFieldsIn):
    title: str = Field(min_length=1, max_length=200)


class ArticlePatchIn(ArticleFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    title: str | None = Field(None, min_length=1, max_length=200)


class ArticleOut(RecordOut):
    title: str | None = None
    slug: str | None = None
    body: str | None = None
    category_id: int | None = None
    status: str | None = None
    published_at: dt.datetime | None = None


class ArticleCategoryIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    slug: str | None = Field(None, max_length=100)
    position: int | None = Field(None, ge=0, le=100000)


class ArticleCategoryCreateIn(ArticleCategoryIn):
    name: str = Field(min_length=1, max_length=100)


class ArticleCategoryPatchIn(ArticleCategoryIn):
    version: Version


class ArticleCategoryOut(OutputSchema):
    id: int
    version: int
    name: str
    slug: str
    position: int
