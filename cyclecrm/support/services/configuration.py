"""Writes for SLA policies and queue calendars: admin configuration (the `all` level on the
`sla_policy` / `business_calendar` record types), recorded in the audit history.

Changing a policy or calendar applies to cases opened (or reopened) afterwards; due times
already computed stay as they are, so a case's promise does not move under the agent.
"""

import datetime as dt
import zoneinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_set_version, claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team, User
from cyclecrm.support.models import BusinessCalendar, CasePriority, SlaPolicy

POLICY_FIELDS = {
    "name", "team_id", "priority", "first_response_minutes", "resolution_minutes",
    "escalate_to_priority", "notify_manager", "is_active",
}  # fmt: skip
CALENDAR_FIELDS = {"timezone", "working_days", "start_time", "end_time", "holidays"}
MAX_TARGET_MINUTES = 60 * 24 * 365


def _require_all(actor: User, type_key: str, action: str) -> None:
    if access.level(actor, type_key, action) != Level.ALL:
        raise Forbidden(f"You may not {action} {type_key.replace('_', ' ')} settings.")


# -- SLA policies -------------------------------------------------------------------------------


def _normalize_policy(data: dict[str, Any], current: SlaPolicy | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - POLICY_FIELDS):
        errors.add(name, "Unknown field.")
    if "name" in data:
        data["name"] = " ".join(str(data["name"] or "").split())
        if not data["name"]:
            errors.add("name", "A policy needs a name.")
    elif current is None:
        errors.add("name", "A policy needs a name.")
    if current is None and not data.get("priority"):
        errors.add("priority", "Choose the priority the policy applies to.")
    for name in ("priority", "escalate_to_priority"):
        value = data.get(name)
        if value and value not in CasePriority.values:
            errors.add(name, f"Use one of {', '.join(CasePriority.values)}.")
    if data.get("escalate_to_priority") is None and "escalate_to_priority" in data:
        data["escalate_to_priority"] = ""
    for name in ("first_response_minutes", "resolution_minutes"):
        if name not in data and current is None:
            errors.add(name, "Enter a target in business minutes.")
        elif name in data and not (
            isinstance(data[name], int) and 1 <= data[name] <= MAX_TARGET_MINUTES
        ):
            errors.add(name, f"Enter whole minutes between 1 and {MAX_TARGET_MINUTES}.")
    team_id = data.get("team_id")
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        errors.add("team_id", "No team with this id.")
    errors.raise_if_any()
    first = data.get("first_response_minutes", getattr(current, "first_response_minutes", None))
    resolution = data.get("resolution_minutes", getattr(current, "resolution_minutes", None))
    if first and resolution and resolution < first:
        errors.add("resolution_minutes", "Resolution cannot be due before the first response.")
    errors.raise_if_any()
    return data


def _save_policy(policy: SlaPolicy) -> None:
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise Duplicate(
            fields={"priority": ["This queue already has a policy for this priority."]}
        ) from exc


def sla_policy_create(*, actor: User, data: dict[str, Any]) -> SlaPolicy:
    _require_all(actor, SlaPolicy.record_type, Action.CREATE)
    data = _normalize_policy(data, None)
    with transaction.atomic():
        policy = SlaPolicy(**data)
        _save_policy(policy)
        history_record(
            actor=actor,
            instance=policy,
            action=HistoryAction.CREATE,
            changes=diff({}, snapshot(policy)),
        )
    return policy


def sla_policy_update(
    *, actor: User, policy: SlaPolicy, data: dict[str, Any], version: int | None
) -> SlaPolicy:
    _require_all(actor, SlaPolicy.record_type, Action.EDIT)
    data = _normalize_policy(data, policy)
    with transaction.atomic():
        before = snapshot(policy)
        for name, value in data.items():
            setattr(policy, name, value)
        claim_version(policy, version)
        _save_policy(policy)
        changes = diff(before, snapshot(policy))
        if changes:
            history_record(
                actor=actor, instance=policy, action=HistoryAction.UPDATE, changes=changes
            )
    return policy


def sla_policy_delete(*, actor: User, policy: SlaPolicy) -> None:
    _require_all(actor, SlaPolicy.record_type, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=policy,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(policy), {}),
        )
        policy.delete()


# -- calendars ----------------------------------------------------------------------------------


def _read_time(value: Any, name: str, errors: FieldErrors) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        errors.add(name, "Enter a time as HH:MM.")
        return None


def _normalize_calendar(data: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - CALENDAR_FIELDS):
        errors.add(name, "Unknown field.")
    if "timezone" in data:
        try:
            zoneinfo.ZoneInfo(str(data["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.add("timezone", "Unknown time zone; use an IANA name such as Europe/Berlin.")
    if "working_days" in data:
        days = data["working_days"] or []
        if not all(isinstance(day, int) and 0 <= day <= 6 for day in days) or not days:
            errors.add("working_days", "List weekdays as numbers 0 (Monday) to 6 (Sunday).")
        else:
            data["working_days"] = sorted(set(days))
    for name in ("start_time", "end_time"):
        if name in data:
            data[name] = _read_time(data[name], name, errors)
    if "holidays" in data:
        holidays = []
        for value in data["holidays"] or []:
            try:
                day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except ValueError:
                errors.add("holidays", f"{value!r} is not a date (YYYY-MM-DD).")
                continue
            holidays.append(day.isoformat())
        data["holidays"] = sorted(set(holidays))
    errors.raise_if_any()
    return data


def business_calendar_set(
    *, actor: User, team: Team, data: dict[str, Any], version: int | None = None
) -> BusinessCalendar:
    """Create or change the queue's calendar (only the fields sent change); changing it needs
    the `version` read."""
    existing = BusinessCalendar.objects.filter(team=team).first()
    _require_all(actor, BusinessCalendar.record_type, Action.EDIT if existing else Action.CREATE)
    data = _normalize_calendar(data)
    calendar = existing or BusinessCalendar(team=team)
    before = snapshot(calendar) if existing else {}
    for name, value in data.items():
        setattr(calendar, name, value)
    if calendar.end_time <= calendar.start_time:
        raise ValidationFailed(fields={"end_time": ["Closing must be after opening."]})
    calendar.updated_at = timezone.now()
    with transaction.atomic():
        claim_set_version(calendar, version, existing=existing is not None)
        calendar.save()
        changes = diff(before, snapshot(calendar))
        if changes:
            history_record(
                actor=actor,
                instance=calendar,
                action=HistoryAction.UPDATE if existing else HistoryAction.CREATE,
                changes=changes,
            )
    return calendar


def business_calendar_delete(*, actor: User, calendar: BusinessCalendar) -> None:
    """Remove the queue's calendar: the queue falls back to the default hours."""
    _require_all(actor, BusinessCalendar.record_type, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=calendar,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(calendar), {}),
        )
        calendar.delete()
