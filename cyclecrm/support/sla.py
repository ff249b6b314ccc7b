"""SLA clocks of a case: which policy applies, the queue's calendar, due times, the next due
moment used for sorting, and the business time remaining.

Rules:
- The policy is the active one for the case's queue (team) and priority, else the active default
  policy (no team) for the priority, else none (a case without a policy has no due times).
- First response is due `first_response_minutes` business minutes after the case was opened;
  resolution `resolution_minutes` after it was opened (or reopened).
- While a case is pending the resolution clock is paused: entering pending stores `paused_at`;
  leaving it moves `resolution_due` later by the business time the case spent pending, as long
  as the due time had not passed when it was paused. The first-response clock never pauses.
- A case's `next_due_at` is the earliest running due time (first response while unanswered,
  resolution while new or open), or `NO_DUE_KEY` when no clock runs.
"""

import datetime as dt
from typing import Any

from django.conf import settings

from cyclecrm.identity.models import Team
from cyclecrm.support.hours import (
    DEFAULT_CALENDAR,
    Calendar,
    add_business_minutes,
    business_minutes_between,
    make_calendar,
)
from cyclecrm.support.models import (
    NO_DUE_KEY,
    BusinessCalendar,
    Case,
    CaseStatus,
    SlaPolicy,
)

DEFAULT_BREACHING_SOON_MINUTES = 60


def breaching_soon_window() -> dt.timedelta:
    """How close to a due time a case counts as "breaching soon" (real minutes; settings
    `CYCLECRM["CASE_BREACHING_SOON_MINUTES"]`, 60 by default)."""
    minutes = settings.CYCLECRM.get("CASE_BREACHING_SOON_MINUTES", DEFAULT_BREACHING_SOON_MINUTES)
    return dt.timedelta(minutes=int(minutes))


def calendar_of(stored: BusinessCalendar | None) -> Calendar:
    if stored is None:
        return DEFAULT_CALENDAR
    return make_calendar(
        timezone=stored.timezone,
        working_days=stored.working_days,
        start=stored.start_time,
        end=stored.end_time,
        holidays=stored.holidays,
    )


def calendar_for_team(team: Team | int | None) -> Calendar:
    """The queue's calendar (the default one when the queue has none or there is no queue)."""
    if team is None:
        return DEFAULT_CALENDAR
    team_id = team if isinstance(team, int) else team.pk
    return calendar_of(BusinessCalendar.objects.filter(team_id=team_id).first())


def case_calendar(case: Case) -> Calendar:
    """The calendar of the case's queue; uses `team__business_calendar` when selected."""
    if case.team_id is None:
        return DEFAULT_CALENDAR
    team = case.team
    try:
        return calendar_of(team.business_calendar)
    except BusinessCalendar.DoesNotExist:
        return DEFAULT_CALENDAR


def policy_for(team_id: int | None, priority: str) -> SlaPolicy | None:
    policies = SlaPolicy.objects.filter(priority=priority, is_active=True)
    if team_id is not None:
        policy = policies.filter(team_id=team_id).first()
        if policy is not None:
            return policy
    return policies.filter(team__isnull=True).first()


def initial_dues(
    policy: SlaPolicy | None, start: dt.datetime, calendar: Calendar
) -> dict[str, Any]:
    if policy is None:
        return {"sla_policy": None, "first_response_due": None, "resolution_due": None}
    return {
        "sla_policy": policy,
        "first_response_due": add_business_minutes(start, policy.first_response_minutes, calendar),
        "resolution_due": add_business_minutes(start, policy.resolution_minutes, calendar),
    }


def resolution_due_after_pause(
    resolution_due: dt.datetime | None,
    paused_at: dt.datetime | None,
    now: dt.datetime,
    calendar: Calendar,
) -> dt.datetime | None:
    """The resolution due time when a pending case resumes at `now` (see module doc)."""
    if resolution_due is None or paused_at is None:
        return resolution_due
    left = business_minutes_between(paused_at, resolution_due, calendar)
    if left <= 0:
        return resolution_due
    return add_business_minutes(now, left, calendar)


def next_due(values: dict[str, Any]) -> dt.datetime:
    """The earliest running due time from a case's values (see module doc)."""
    status = values.get("status")
    candidates = []
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return NO_DUE_KEY
    if values.get("first_responded_at") is None and values.get("first_response_due"):
        candidates.append(values["first_response_due"])
    if status != CaseStatus.PENDING and values.get("resolution_due"):
        candidates.append(values["resolution_due"])
    return min(candidates, default=NO_DUE_KEY)


def case_values(case: Case) -> dict[str, Any]:
    names = ("status", "first_responded_at", "first_response_due", "resolution_due")
    return {name: getattr(case, name) for name in names}


def remaining(case: Case, now: dt.datetime, calendar: Calendar | None = None) -> dict[str, Any]:
    """Business minutes left on each running clock (negative when overdue; None when the clock
    is stopped or the case has no policy)."""
    calendar = calendar or case_calendar(case)
    first = resolution = None
    active = case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    if active and case.first_responded_at is None and case.first_response_due:
        first = business_minutes_between(now, case.first_response_due, calendar)
    if active and case.resolution_due:
        # A pending case's clock stands still at what was left when it was paused.
        since = case.paused_at if case.status == CaseStatus.PENDING and case.paused_at else now
        resolution = business_minutes_between(since, case.resolution_due, calendar)
    return {
        "first_response_remaining_minutes": first,
        "resolution_remaining_minutes": resolution,
    }
