"""Campaign records through the shared write path (rights, history, version check), and cost
entries, which change the campaign's actual cost and are recorded in its history."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from cyclecrm.campaigns.models import (
    Campaign,
    CampaignCost,
    CampaignStatus,
    CampaignType,
    CostCategory,
)
from cyclecrm.core.errors import FieldErrors, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.history import history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.money import parse_decimal, round_money
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.currency import base_currency

CAMPAIGN_FIELDS = {
    "name", "code", "type", "status", "start_date", "end_date", "budget", "expected_revenue",
    "goal", "target_leads", "description", "owner_id", "team_id",
}  # fmt: skip
MONEY_FIELDS = ("budget", "expected_revenue")
DATES_ORDER = "The end date cannot be before the start date."
CODE_TAKEN = "Another campaign already uses this code."
MAX_MONEY = Decimal("1e13")


def _money(value: Any, field: str, errors: FieldErrors) -> Decimal | None:
    try:
        amount = parse_decimal(value if value is not None else "0", field=field)
    except ValueError as exc:
        errors.add(field, str(exc).removeprefix(f"{field}: ").capitalize())
        return None
    if amount < 0:
        errors.add(field, "Cannot be negative.")
    elif amount >= MAX_MONEY:
        errors.add(field, "Too large.")
    return round_money(amount, base_currency())


def _choice(data: dict[str, Any], field: str, values: list[str], errors: FieldErrors) -> None:
    if field in data and data[field] not in values:
        errors.add(field, f"Use one of {', '.join(values)}.")


def _code(data: dict[str, Any], current: Campaign | None, errors: FieldErrors) -> None:
    if "code" in data or current is None:
        raw = data.get("code") or data.get("name") or ""
        data["code"] = slugify(str(raw))[:100]
        if not data["code"]:
            errors.add("code", "Give a code of letters, digits or dashes.")
            return
        taken = Campaign.objects.filter(code=data["code"])
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            errors.add("code", CODE_TAKEN)


def _normalize(data: dict[str, Any], current: Campaign | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - CAMPAIGN_FIELDS):
        errors.add(name, "Unknown field.")
    if "name" in data or current is None:
        data["name"] = " ".join(str(data.get("name") or "").split())
        if not data["name"]:
            errors.add("name", "This field is required.")
    if current is None and not data.get("type"):
        errors.add("type", "This field is required.")
    _choice(data, "type", CampaignType.values, errors)
    _choice(data, "status", CampaignStatus.values, errors)
    _code(data, current, errors)
    for name in MONEY_FIELDS:
        if name in data:
            data[name] = _money(data[name], name, errors)
    for name in ("goal", "description"):
        if name in data:
            data[name] = str(data[name] or "").strip()
    start = data.get("start_date", current.start_date if current else None)
    end = data.get("end_date", current.end_date if current else None)
    if start and end and end < start:
        errors.add("end_date", DATES_ORDER)
    errors.raise_if_any()
    return data


def campaign_create(*, actor: User, data: dict[str, Any]) -> Campaign:
    """Create a campaign; `code` defaults to a slug of the name (422 `code` when taken)."""
    return record_create(actor=actor, model=Campaign, data=_normalize(data, None))


def campaign_update(
    *, actor: User, campaign: Campaign, data: dict[str, Any], version: int | None = None
) -> Campaign:
    return record_update(
        actor=actor,
        instance=campaign,
        data=_normalize(data, campaign),
        version=campaign.version if version is None else version,
    )


def campaign_delete(*, actor: User, campaign: Campaign) -> None:
    record_delete(actor=actor, instance=campaign)


def require_edit(actor: User, campaign: Campaign) -> None:
    """Changing a campaign's costs, members, links or touches needs the right to edit it."""
    if access.can(actor, Action.EDIT, campaign):
        return
    if access.can(actor, Action.READ, campaign):
        raise Forbidden("You may not change this campaign.")
    raise NotFound("No campaign with this id.")


def _cost_history(actor: User, campaign: Campaign, change: list[Any]) -> None:
    history_record(
        actor=actor, instance=campaign, action=HistoryAction.UPDATE, changes={"costs": change}
    )


def cost_add(
    *,
    actor: User,
    campaign: Campaign,
    amount: Any,
    date: dt.date | None = None,
    category: str = CostCategory.OTHER,
    note: str = "",
) -> CampaignCost:
    """Record an actual cost (base currency, >= 0); the history of the campaign notes it."""
    require_edit(actor, campaign)
    errors = FieldErrors()
    value = _money(amount, "amount", errors)
    if category not in CostCategory.values:
        errors.add("category", f"Use one of {', '.join(CostCategory.values)}.")
    note = " ".join(str(note or "").split())
    if len(note) > 300:
        errors.add("note", "At most 300 characters.")
    errors.raise_if_any()
    cost = CampaignCost(campaign=campaign, amount=value, category=category, note=note)
    if date is not None:
        cost.date = date
    cost.created_by = actor
    with transaction.atomic():
        cost.save()
        _cost_history(actor, campaign, [None, f"{cost.date}: +{value} ({category})"])
    return cost


def cost_delete(*, actor: User, campaign: Campaign, cost_id: int) -> None:
    require_edit(actor, campaign)
    cost = CampaignCost.objects.filter(campaign=campaign, pk=cost_id).first()
    if cost is None:
        raise ValidationFailed(fields={"cost_id": ["No cost entry with this id on the campaign."]})
    with transaction.atomic():
        cost.delete()
        _cost_history(actor, campaign, [f"{cost.date}: {cost.amount} ({cost.category})", None])
