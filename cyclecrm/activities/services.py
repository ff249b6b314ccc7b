"""Writes for tasks: normalize, check links and times, then the shared record services.

Rules kept here:
- `completed_at` follows `status`: set when a task becomes done, cleared when it is reopened or
  cancelled; callers never set it.
- `remind_at` defaults to `due_at` minus the reminder lead time (settings
  `CYCLECRM["TASK_REMINDER_LEAD_MINUTES"]`, 60 by default) when a future due time is given
  without one and the task had no future due time before; when the due time moves, an existing
  reminder moves with it. A reminder after the due time is refused. Changing the reminder time
  makes it pending again (`reminder_sent_at` null).
- A linked record (contact, account, lead, opportunity, onboarding) must be one the actor may
  see; several kinds may be linked at once (a contact and its account).
- The sort keys `due_key` and `priority_rank` (see models) are derived here.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cyclecrm.activities.models import (
    ACTIVE_STATUSES,
    NO_DUE_KEY,
    PRIORITY_RANK,
    Task,
    TaskStatus,
)
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Onboarding, Opportunity

TASK_FIELDS = {
    "title", "description", "due_at", "priority", "status", "remind_at", "contact_id",
    "account_id", "lead_id", "opportunity_id", "onboarding_id", "owner_id", "team_id",
    "external_id",
}  # fmt: skip
LINKED_MODELS: dict[str, type[models.Model]] = {
    "contact_id": Contact,
    "account_id": Account,
    "lead_id": Lead,
    "opportunity_id": Opportunity,
}
DEFAULT_REMINDER_LEAD_MINUTES = 60

REMIND_AFTER_DUE = "The reminder must not be later than the due time."
TITLE_REQUIRED = "A task needs a title."


def reminder_lead() -> dt.timedelta:
    minutes = settings.CYCLECRM.get("TASK_REMINDER_LEAD_MINUTES", DEFAULT_REMINDER_LEAD_MINUTES)
    return dt.timedelta(minutes=int(minutes))


# -- normalization and checks ---------------------------------------------------------------


def _aware(value: Any) -> Any:
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _normalize(data: dict[str, Any], creating: bool, errors: FieldErrors) -> dict[str, Any]:
    data = dict(data)
    for name in sorted(set(data) - TASK_FIELDS):
        errors.add(name, "Unknown field.")
    if "title" in data:
        data["title"] = " ".join(str(data["title"] or "").split())
    if (creating or "title" in data) and not data.get("title"):
        errors.add("title", TITLE_REQUIRED)
    if "description" in data:
        data["description"] = str(data["description"] or "").strip()
    if "external_id" in data:
        data["external_id"] = (data["external_id"] or "").strip() or None
    for name in ("due_at", "remind_at"):
        if name in data:
            try:
                data[name] = _aware(_read_time(data[name]))
            except ValueError:
                errors.add(name, "Enter a date and time (ISO 8601).")
    return data


def _read_time(value: Any) -> Any:
    """Times from imports and other callers may come as ISO 8601 text."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    parsed = parse_datetime(value.strip())
    if parsed is None:
        raise ValueError(value)
    return parsed


def _check_links(actor: User, data: dict[str, Any], errors: FieldErrors) -> None:
    for name, model in LINKED_MODELS.items():
        pk = data.get(name)
        if pk is not None and not access.restrict(model.objects.filter(pk=pk), actor).exists():
            errors.add(name, f"No {model.record_type} with this id.")
    pk = data.get("onboarding_id")
    if pk is not None:
        # An onboarding is seen through its account.
        visible_accounts = access.restrict(Account.objects.all(), actor)
        if not Onboarding.objects.filter(pk=pk, account__in=visible_accounts).exists():
            errors.add("onboarding_id", "No onboarding with this id.")


def _derive_reminder(data: dict[str, Any], current: Task | None) -> None:
    """Fill `remind_at` from `due_at` when the caller did not send one (see module doc)."""
    if "remind_at" in data or "due_at" not in data or data["due_at"] is None:
        return
    due = data["due_at"]
    old_due = current.due_at if current else None
    old_remind = current.remind_at if current else None
    now = timezone.now()
    if old_remind is not None and old_due is not None:
        data["remind_at"] = old_remind + (due - old_due)
    elif old_remind is None and (old_due is None or old_due <= now) and due > now:
        # No reminder yet because there was no (future) due time: give the default one. A task
        # whose future due time had no reminder keeps none (someone chose that).
        data["remind_at"] = due - reminder_lead()


def _check_times(data: dict[str, Any], current: Task | None, errors: FieldErrors) -> None:
    due = data["due_at"] if "due_at" in data else getattr(current, "due_at", None)
    remind = data["remind_at"] if "remind_at" in data else getattr(current, "remind_at", None)
    if due is not None and remind is not None and remind > due:
        errors.add("remind_at", REMIND_AFTER_DUE)


def _derive_state(data: dict[str, Any], current: Task | None) -> None:
    """Completion time, pending reminder and sort keys from the fields being written."""
    if current is None:
        if data.get("status") == TaskStatus.DONE:
            data["completed_at"] = timezone.now()
    else:
        if data.get("status", current.status) != current.status:
            data["completed_at"] = timezone.now() if data["status"] == TaskStatus.DONE else None
        if "remind_at" in data and data["remind_at"] != current.remind_at:
            data["reminder_sent_at"] = None
    if "due_at" in data:
        data["due_key"] = data["due_at"] or NO_DUE_KEY
    if "priority" in data:
        data["priority_rank"] = PRIORITY_RANK.get(data["priority"], PRIORITY_RANK["normal"])


def _prepare(actor: User, data: dict[str, Any], current: Task | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = _normalize(data, current is None, errors)
    _check_links(actor, data, errors)
    errors.raise_if_any()
    _derive_reminder(data, current)
    _check_times(data, current, errors)
    errors.raise_if_any()
    _derive_state(data, current)
    return data


def _refresh_onboarding(*onboarding_ids: int | None) -> None:
    """After commit, let the onboarding recompute its completion (pipeline owns the rule)."""
    ids = {pk for pk in onboarding_ids if pk is not None}
    if not ids:
        return
    from cyclecrm.pipeline import services as pipeline_services

    refresh = getattr(pipeline_services, "onboarding_refresh", None)
    if refresh is None:  # not built yet
        return

    def run() -> None:
        for onboarding in Onboarding.objects.filter(pk__in=ids):
            refresh(onboarding)

    transaction.on_commit(run)


# -- services --------------------------------------------------------------------------------


def task_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Task:
    """Create a task; `owner_id` is the assignee (default: the actor)."""
    data = _prepare(actor, data, None)
    task = record_create(actor=actor, model=Task, data=data, tags=tags, custom=custom)
    _refresh_onboarding(task.onboarding_id)
    return task


def task_update(
    *,
    actor: User,
    task: Task,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Task:
    data = _prepare(actor, data, task)
    old_status, old_onboarding = task.status, task.onboarding_id
    with transaction.atomic():
        if "reminder_sent_at" not in data:
            # The reminder job marks rows without going through here; lock the row and keep its
            # mark so this write cannot un-send a reminder (the whole row is written back).
            task.reminder_sent_at = (
                Task.objects.select_for_update()
                .filter(pk=task.pk)
                .values_list("reminder_sent_at", flat=True)
                .first()
            )
        task = record_update(
            actor=actor, instance=task, data=data, version=version, tags=tags, custom=custom
        )
        if task.status != old_status or task.onboarding_id != old_onboarding:
            _refresh_onboarding(old_onboarding, task.onboarding_id)
    return task


def task_complete(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Mark the task done. Without `version`, the version just read is used; completing a task
    that is already done changes nothing."""
    if task.status == TaskStatus.DONE:
        return task
    return task_update(
        actor=actor,
        task=task,
        data={"status": TaskStatus.DONE},
        version=task.version if version is None else version,
    )


def task_reopen(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Make a done or cancelled task open again (an open one is left as it is)."""
    if task.status in ACTIVE_STATUSES:
        return task
    return task_update(
        actor=actor,
        task=task,
        data={"status": TaskStatus.OPEN},
        version=task.version if version is None else version,
    )


def task_delete(*, actor: User, task: Task) -> None:
    onboarding_id = task.onboarding_id
    with transaction.atomic():
        record_delete(actor=actor, instance=task)
        _refresh_onboarding(onboarding_id)
