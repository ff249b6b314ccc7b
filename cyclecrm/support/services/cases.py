"""Writes for cases.

Rules kept here (see also `support.sla`):
- `number` is allocated on create (`CASE-000001`, never reused); callers never set it.
- `account` defaults to the contact's account; linked contact and account must be visible.
- Status moves only along `TRANSITIONS`; each move is stored as a `CaseStatusChange` with time
  and actor. Resolving stamps `resolved_at`, closing `closed_at`; reopening a resolved case
  clears `resolved_at` and the resolution breach and restarts the resolution clock from now.
- Changing priority or queue recomputes the due times of clocks that are still running and not
  breached, measured from when the case was opened.
- The first public response is recorded once (`case_record_first_response`); a new case
  becomes open with it.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.catalog.numbering import next_serial_number
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import FieldErrors, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.core.richtext import sanitize_html
from cyclecrm.core.signals import rows_changed_send
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.support import sla
from cyclecrm.support.models import (
    PRIORITY_RANK,
    Article,
    Case,
    CaseArticle,
    CaseChannel,
    CasePriority,
    CaseStatus,
    CaseStatusChange,
)

CASE_FIELDS = {
    "subject", "description", "contact_id", "account_id", "channel", "priority", "owner_id",
    "team_id", "external_id",
}  # fmt: skip
S = CaseStatus
TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED},
    S.OPEN: {S.PENDING, S.RESOLVED, S.CLOSED},
    S.PENDING: {S.OPEN, S.RESOLVED, S.CLOSED},
    S.RESOLVED: {S.OPEN, S.CLOSED},
    S.CLOSED: set(),
}
SUBJECT_REQUIRED = "A case needs a subject."
NUMBER_PREFIX = "CASE"


def _normalize(data: dict[str, Any], creating: bool, errors: FieldErrors) -> dict[str, Any]:
    data = dict(data)
    if "contact" in data:  # callers may pass the contact itself or its id
        contact = data.pop("contact")
        data["contact_id"] = contact.pk if isinstance(contact, Contact) else contact
    if "account" in data:
        account = data.pop("account")
        data["account_id"] = account.pk if isinstance(account, Account) else account
    for name in sorted(set(data) - CASE_FIELDS):
        errors.add(name, "Unknown field.")
    if "subject" in data:
        data["subject"] = " ".join(str(data["subject"] or "").split())
    if (creating or "subject" in data) and not data.get("subject"):
        errors.add("subject", SUBJECT_REQUIRED)
    if "description" in data:
        data["description"] = sanitize_html(data["description"])
    if "external_id" in data:
        data["external_id"] = (data["external_id"] or "").strip() or None
    if data.get("priority") is None and "priority" in data:
        data["priority"] = CasePriority.NORMAL
    if "priority" in data and data["priority"] not in CasePriority.values:
        errors.add("priority", f"Use one of {', '.join(CasePriority.values)}.")
    if data.get("channel") is None and "channel" in data:
        data.pop("channel")
    if "channel" in data and data["channel"] not in CaseChannel.values:
        errors.add("channel", f"Use one of {', '.join(CaseChannel.values)}.")
    return data


def _check_links(actor: User, data: dict[str, Any], errors: FieldErrors) -> None:
    contact_id = data.get("contact_id")
    if contact_id is not None:
        contact = access.restrict(Contact.objects.filter(pk=contact_id), actor).first()
        if contact is None:
            errors.add("contact", "No contact with this id.")
        elif "account_id" not in data and contact.account_id is not None:
            data["account_id"] = contact.account_id
    account_id = data.get("account_id")
    if account_id is not None and not (
        access.restrict(Account.objects.filter(pk=account_id), actor).exists()
    ):
        errors.add("account", "No account with this id.")


def _prepare(actor: User, data: dict[str, Any], current: Case | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = _normalize(data, current is None, errors)
    errors.raise_if_any()
    _check_links(actor, data, errors)
    errors.raise_if_any()
    if "priority" in data:
        data["priority_rank"] = PRIORITY_RANK[data["priority"]]
    return data


def _number_taken(number: str) -> bool:
    return Case.objects.filter(number=number).exists()


def case_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Open a case. `data` takes `subject`, `description`, `contact` (or `contact_id`),
    `account_id`, `channel` (`email` for mail-in cases), `priority`, `owner_id` (assignee,
    default the actor) and `team_id` (queue, default the assignee's first team). Due times
    come from the SLA policy, counted from `at` (default now)."""
    data = _prepare(actor, data, None)
    opened = at or timezone.now()
    with transaction.atomic():
        data["number"] = next_serial_number("case", NUMBER_PREFIX, taken=_number_taken)
        data["status_changed_at"] = opened
        case = record_create(actor=actor, model=Case, data=data, tags=tags, custom=custom)
        clock = _dues_from(case, opened)
        if any(value is not None for value in clock.values()):
            clock["next_due_at"] = sla.next_due({**sla.case_values(case), **clock})
            Case.objects.filter(pk=case.pk).update(**clock)
            rows_changed_send(Case)
            for name, value in clock.items():
                setattr(case, name, value)
        CaseStatusChange.objects.create(case=case, to_status=case.status, actor=actor, at=opened)
    return case


def _dues_from(case: Case, start: dt.datetime) -> dict[str, Any]:
    policy = sla.policy_for(case.team_id, case.priority)
    return sla.initial_dues(policy, start, sla.calendar_for_team(case.team_id))


def _recomputed_dues(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    """Due times after a priority or queue change (see module doc)."""
    priority = data.get("priority", case.priority)
    team_id = data.get("team_id", case.team_id)
    if priority == case.priority and team_id == case.team_id:
        return {}
    policy = sla.policy_for(team_id, priority)
    dues = sla.initial_dues(policy, case.created_at, sla.calendar_for_team(team_id))
    changes: dict[str, Any] = {"sla_policy": dues["sla_policy"]}
    if case.first_responded_at is None and case.first_response_breached_at is None:
        changes["first_response_due"] = dues["first_response_due"]
    if case.is_active and case.resolution_breached_at is None and case.paused_at is None:
        changes["resolution_due"] = dues["resolution_due"]
    return changes


def case_update(
    *,
    actor: User,
    case: Case,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Case:
    data = _prepare(actor, data, case)
    data.update(_recomputed_dues(case, data))
    data["next_due_at"] = sla.next_due({**sla.case_values(case), **data})
    return record_update(
        actor=actor, instance=case, data=data, version=version, tags=tags, custom=custom
    )


def case_assign(
    *,
    actor: User,
    case: Case,
    owner_id: int | None,
    team_id: int | None = None,
    version: int | None = None,
) -> Case:
    """Give the case to an agent and/or move it to a queue; without `version` the version just
    read is used."""
    data: dict[str, Any] = {"owner_id": owner_id}
    if team_id is not None:
        data["team_id"] = team_id
    return case_update(
        actor=actor,
        case=case,
        data=data,
        version=case.version if version is None else version,
    )


def _status_data(case: Case, status: str, now: dt.datetime) -> dict[str, Any]:
    data: dict[str, Any] = {"status": status, "status_changed_at": now}
    calendar = sla.calendar_for_team(case.team_id)
    if case.status == S.PENDING:
        data["paused_at"] = None
        data["resolution_due"] = sla.resolution_due_after_pause(
            case.resolution_due, case.paused_at, now, calendar
        )
    if status == S.PENDING:
        data["paused_at"] = now
    if status == S.RESOLVED:
        data["resolved_at"] = now
    if status == S.CLOSED:
        data["closed_at"] = now
        if case.resolved_at is None:
            data["resolved_at"] = now
    if case.status == S.RESOLVED and status == S.OPEN:
        policy = case.sla_policy
        data["resolved_at"] = None
        data["resolution_breached_at"] = None
        data["resolution_due"] = (
            sla.initial_dues(policy, now, calendar)["resolution_due"] if policy else None
        )
    return data


def case_status_change(
    *,
    actor: User,
    case: Case,
    status: str,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Move the case to `status` along the allowed transitions (same status: no change)."""
    if status not in S.values:
        raise ValidationFailed(fields={"status": [f"Use one of {', '.join(S.values)}."]})
    if status == case.status:
        return case
    if status not in TRANSITIONS[case.status]:
        allowed = ", ".join(sorted(TRANSITIONS[case.status])) or "none"
        raise ValidationFailed(
            f"A {case.status} case cannot become {status}.",
            fields={"status": [f"From {case.status} the case may become: {allowed}."]},
        )
    now = at or timezone.now()
    old_status = case.status
    data = _status_data(case, status, now)
    data["next_due_at"] = sla.next_due({**sla.case_values(case), **data})
    with transaction.atomic():
        case = record_update(
            actor=actor,
            instance=case,
            data=data,
            version=case.version if version is None else version,
        )
        CaseStatusChange.objects.create(
            case=case, from_status=old_status, to_status=status, actor=actor, at=now
        )
    return case


def case_resolve(*, actor: User, case: Case, version: int | None = None) -> Case:
    return case_status_change(actor=actor, case=case, status=S.RESOLVED, version=version)


def case_close(*, actor: User, case: Case, version: int | None = None) -> Case:
    return case_status_change(actor=actor, case=case, status=S.CLOSED, version=version)


def case_reopen(*, actor: User, case: Case, version: int | None = None) -> Case:
    return case_status_change(actor=actor, case=case, status=S.OPEN, version=version)


def case_record_first_response(*, actor: User, case: Case, at: dt.datetime | None = None) -> Case:
    """Note the first public reply to the customer (called when an agent replies publicly).
    Later replies change nothing; a new case becomes open."""
    if case.first_responded_at is not None:
        return case
    at = at or timezone.now()
    with transaction.atomic():
        current = Case.objects.select_for_update().get(pk=case.pk)
        if current.first_responded_at is not None:
            return current
        if case.status == S.NEW:
            case = case_status_change(actor=actor, case=current, status=S.OPEN, at=at)
        else:
            case = current
        data: dict[str, Any] = {"first_responded_at": at}
        data["next_due_at"] = sla.next_due({**sla.case_values(case), **data})
        return record_update(actor=actor, instance=case, data=data, version=case.version)


def case_delete(*, actor: User, case: Case) -> None:
    record_delete(actor=actor, instance=case)


def _require_edit(actor: User, case: Case) -> None:
    if not access.can(actor, Action.EDIT, case):
        raise Forbidden("You may not change this case.")


def case_link_article(*, actor: User, case: Case, article_id: int) -> CaseArticle:
    """Attach a knowledge-base article the actor may read; linking twice keeps one link."""
    _require_edit(actor, case)
    article = access.restrict(Article.objects.filter(pk=article_id), actor).first()
    if article is None:
        raise ValidationFailed(fields={"article_id": ["No article with this id."]})
    link, _ = CaseArticle.objects.get_or_create(
        case=case, article=article, defaults={"linked_by": actor}
    )
    return link


def case_unlink_article(*, actor: User, case: Case, article_id: int) -> None:
    _require_edit(actor, case)
    deleted, _ = CaseArticle.objects.filter(case=case, article_id=article_id).delete()
    if not deleted:
        raise NotFound("This article is not linked to the case.")
