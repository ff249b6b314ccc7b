"""Writes of sales costs: the sales spend the customer acquisition cost (`cac`) adds to the
campaigns' costs. Shared configuration: changing it takes the `all` level of `sales_cost`
(administrators and managers); every change is recorded in the history."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from cyclecrm.analytics.models import SalesCost, SalesCostCategory
from cyclecrm.core.errors import FieldErrors, Forbidden
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team, User

FIELDS = {"date", "amount", "category", "team_id", "note"}
REQUIRED = {"date", "amount"}
AMOUNT_MAX = Decimal(10) ** 14
AMOUNT_QUANTUM = Decimal("0.01")
NOTE_MAX = 200


def require_sales_cost_admin(actor: User, action: str) -> None:
    if access.level(actor, SalesCost.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} sales costs.")


def _clean(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    clean: dict[str, Any] = {}
    for name in sorted(set(data) - FIELDS):
        errors.add(name, "Unknown field.")
    if creating:
        for name in sorted(REQUIRED - {k for k, v in data.items() if v not in (None, "")}):
            errors.add(name, "This field is required.")
    if data.get("date") not in (None, ""):
        _clean_date(data["date"], clean, errors)
    if data.get("amount") not in (None, ""):
        _clean_amount(data["amount"], clean, errors)
    if "category" in data:
        category = data["category"] or SalesCostCategory.OTHER
        if category not in SalesCostCategory.values:
            errors.add("category", f"One of: {', '.join(SalesCostCategory.values)}.")
        clean["category"] = category
    if "team_id" in data:
        team_id = data["team_id"]
        if team_id is not None and not Team.objects.filter(pk=team_id).exists():
            errors.add("team_id", "No team with this id.")
        clean["team_id"] = team_id
    if "note" in data:
        note = str(data["note"] or "").strip()
        if len(note) > NOTE_MAX:
            errors.add("note", f"At most {NOTE_MAX} characters.")
        clean["note"] = note
    errors.raise_if_any()
    return clean


def _clean_date(value: Any, clean: dict[str, Any], errors: FieldErrors) -> None:
    try:
        clean["date"] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add("date", "A date as YYYY-MM-DD.")


def _clean_amount(value: Any, clean: dict[str, Any], errors: FieldErrors) -> None:
    try:
        amount = parse_decimal(value, field="amount")
    except ValueError as exc:
        errors.add("amount", str(exc).removeprefix("amount: "))
        return
    if not 0 <= amount < AMOUNT_MAX:
        errors.add("amount", "A non-negative amount in the base currency.")
    elif amount != amount.quantize(AMOUNT_QUANTUM):
        errors.add("amount", "At most 2 decimal places.")
    clean["amount"] = amount


def _snapshot(cost: SalesCost) -> dict[str, Any]:
    return {
        "date": cost.date.isoformat(),
        "amount": format(Decimal(cost.amount).quantize(AMOUNT_QUANTUM), "f"),
        "category": cost.category,
        "team_id": cost.team_id,
        "note": cost.note,
    }


def sales_cost_create(*, actor: User, data: dict[str, Any]) -> SalesCost:
    require_sales_cost_admin(actor, Action.CREATE)
    cost = SalesCost(created_by=actor, **_clean(dict(data), creating=True))
    with transaction.atomic():
        cost.save()
        history_record(
            actor=actor,
            instance=cost,
            action=HistoryAction.CREATE,
            changes=diff({}, _snapshot(cost)),
        )
    return cost


def sales_cost_update(
    *, actor: User, cost: SalesCost, data: dict[str, Any], version: int | None
) -> SalesCost:
    require_sales_cost_admin(actor, Action.EDIT)
    clean = _clean(dict(data), creating=False)
    before = _snapshot(cost)
    for name, value in clean.items():
        setattr(cost, name, value)
    with transaction.atomic():
        claim_version(cost, version)
        cost.save()
        changes = diff(before, _snapshot(cost))
        if changes:
            history_record(actor=actor, instance=cost, action=HistoryAction.UPDATE, changes=changes)
    return cost


def sales_cost_delete(*, actor: User, cost: SalesCost) -> None:
    require_sales_cost_admin(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=cost,
            action=HistoryAction.DELETE,
            changes=diff(_snapshot(cost), {}),
        )
        cost.delete()
