"""Writes for quotas: a sales target in the base currency for one user or one team over a
period. Managers set quotas within their team scope (the `team` level on `quota`); admins
anywhere; reps only read their own. A user, or a team, has at most one quota on any day, so a
period's quota is never counted twice. Each change is written to the audit history."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from cyclecrm.analytics.models import Quota
from cyclecrm.analytics.selectors.quotas import overlapping
from cyclecrm.core.errors import Conflict, FieldErrors, Forbidden
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.money import AMOUNT_DIGITS, parse_decimal
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team, User

QUOTA_FIELDS = {"user_id", "team_id", "period_start", "period_end", "amount"}
REQUIRED = ("period_start", "period_end", "amount")
AMOUNT_MAX = Decimal(10) ** (AMOUNT_DIGITS - 4)
CENT = Decimal("0.01")


def _date(value: Any, name: str, errors: FieldErrors) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(name, "A date as YYYY-MM-DD.")
        return None


def _amount(value: Any, errors: FieldErrors) -> Decimal | None:
    try:
        amount = parse_decimal(value, field="amount")
    except ValueError as exc:
        errors.add("amount", str(exc).removeprefix("amount: "))
        return None
    if not 0 <= amount < AMOUNT_MAX:
        errors.add("amount", "Zero or more, in the base currency.")
    elif amount != amount.quantize(CENT):
        errors.add("amount", "At most 2 decimal places.")
    return amount


def _target(data: dict[str, Any], clean: dict[str, Any], errors: FieldErrors) -> None:
    for name, model in (("user_id", User), ("team_id", Team)):
        if name not in data:
            continue
        value = data[name]
        if value is None:
            clean[name] = None
        elif not str(value).isdigit() or not model.objects.filter(pk=value).exists():
            errors.add(name, f"No {name.removesuffix('_id')} with this id.")
        else:
            clean[name] = int(value)


def _clean(data: dict[str, Any], quota: Quota) -> dict[str, Any]:
    """Validated changes, applied over `quota` (a new one when creating)."""
    errors = FieldErrors()
    clean: dict[str, Any] = {}
    for name in sorted(set(data) - QUOTA_FIELDS):
        errors.add(name, "Unknown field.")
    if quota.pk is None:
        for name in REQUIRED:
            if data.get(name) in (None, ""):
                errors.add(name, "This field is required.")
    for name in ("period_start", "period_end"):
        if data.get(name) not in (None, ""):
            clean[name] = _date(data[name], name, errors)
    if data.get("amount") not in (None, ""):
        clean["amount"] = _amount(data["amount"], errors)
    _target(data, clean, errors)
    errors.raise_if_any()
    merged = {name: clean.get(name, getattr(quota, name)) for name in QUOTA_FIELDS}
    if (merged["user_id"] is None) == (merged["team_id"] is None):
        errors.add("user_id", "Set either a user or a team, not both.")
    if merged["period_end"] < merged["period_start"]:
        errors.add("period_end", "The period ends before it starts.")
    errors.raise_if_any()
    return clean


def _require_target(actor: User, action: str, quota: Quota) -> None:
    """The actor may give a quota to this user or team: anyone at the `all` level, a manager
    (team level) for users and teams within their team scope."""
    granted = access.level(actor, "quota", action)
    if granted == Level.ALL:
        return
    rights = access.access_for(actor)
    allowed = granted == Level.TEAM and (
        quota.team_id in rights.scope_team_ids
        if quota.team_id
        else quota.user_id is not None
        and (
            quota.user_id == actor.pk
            or User.teams.through.objects.filter(
                user_id=quota.user_id, team_id__in=rights.scope_team_ids
            ).exists()
        )
    )
    if not allowed:
        raise Forbidden(f"You may not {action} quotas for this user or team.")


def _check_overlap(quota: Quota) -> None:
    target = {"user_id": quota.user_id} if quota.user_id else {"team_id": quota.team_id}
    clash = (
        overlapping(Quota.objects.filter(**target), quota.period_start, quota.period_end, quota.pk)
        .order_by("period_start")
        .first()
    )
    if clash is not None:
        who = "This user" if quota.user_id else "This team"
        raise Conflict(
            f"{who} already has a quota from {clash.period_start} to {clash.period_end}.",
            fields={
                "period_start": [
                    f"{who} already has a quota from {clash.period_start} to "
                    f"{clash.period_end}; periods may not overlap."
                ]
            },
            code="quota_overlap",
        )


def _snapshot(quota: Quota) -> dict[str, Any]:
    return {
        "user_id": quota.user_id,
        "team_id": quota.team_id,
        "period_start": quota.period_start.isoformat(),
        "period_end": quota.period_end.isoformat(),
        "amount": format(Decimal(quota.amount).quantize(CENT), "f"),
    }


def _save(actor: User, quota: Quota, before: dict[str, Any], action: str) -> Quota:
    with transaction.atomic():
        _check_overlap(quota)
        quota.save()
        changes = diff(before, _snapshot(quota))
        if changes:
            history_record(actor=actor, instance=quota, action=action, changes=changes)
    return quota


def quota_create(*, actor: User, data: dict[str, Any]) -> Quota:
    """A quota for `user_id` or `team_id` from `period_start` to `period_end` (inclusive)."""
    if access.level(actor, "quota", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create quotas.")
    quota = Quota(created_by=actor)
    for name, value in _clean(dict(data), quota).items():
        setattr(quota, name, value)
    _require_target(actor, Action.CREATE, quota)
    return _save(actor, quota, {}, HistoryAction.CREATE)


def quota_update(*, actor: User, quota: Quota, data: dict[str, Any], version: int | None) -> Quota:
    if not access.can(actor, Action.EDIT, quota):
        raise Forbidden("You may not edit this quota.")
    clean = _clean(dict(data), quota)
    before = _snapshot(quota)
    for name, value in clean.items():
        setattr(quota, name, value)
    _require_target(actor, Action.EDIT, quota)
    with transaction.atomic():
        claim_version(quota, version)
        return _save(actor, quota, before, HistoryAction.UPDATE)


def quota_delete(*, actor: User, quota: Quota) -> None:
    if not access.can(actor, Action.DELETE, quota):
        raise Forbidden("You may not delete this quota.")
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=quota,
            action=HistoryAction.DELETE,
            changes=diff(_snapshot(quota), {}),
        )
        quota.delete()
