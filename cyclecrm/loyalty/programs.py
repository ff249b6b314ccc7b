"""Program configuration: programs (through the shared record write path), their earning rules
and their tiers. Rules and tiers are parts of the program: changing them needs the edit right on
the program, and every change is validated with errors naming the field."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction

from cyclecrm.catalog.services.common import apply, check_known, currency_code, decimal_value
from cyclecrm.contacts.normalize import clean_text
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import claim_version, record_create, record_delete, record_update
from cyclecrm.identity.models import Action, User
from cyclecrm.loyalty.access import require_program
from cyclecrm.loyalty.models import (
    EarningAction,
    EarningRule,
    LoyaltyProgram,
    ReferralRewardKind,
    Tier,
    TierBasis,
)

PROGRAM_FIELDS = {
    "name",
    "description",
    "currency",
    "is_active",
    "points_valid_days",
    "tier_basis",
    "tier_window_days",
    "statement_link_valid_days",
    "referral_reward_kind",
    "referral_reward_credit",
    "referral_refuse_same_domain",
    "owner_id",
    "team_id",
}
RULE_FIELDS = {
    "name",
    "action",
    "category",
    "points_per_unit",
    "points",
    "cap_points",
    "cap_period_days",
    "valid_from",
    "valid_until",
    "is_active",
}
TIER_FIELDS = {"name", "rank", "threshold", "benefits", "color"}
MAX_WHOLE = 10_000_000
MAX_DAYS = 3650
DATES_ORDER = "Must be on or after valid_from."
SPEND_NEEDS_RATE = "A spend rule needs points_per_unit above 0."
ACTION_NEEDS_POINTS = "An action rule needs points above 0."
CATEGORY_ONLY_SPEND = "Only spend rules apply to a product category."
RATE_ONLY_SPEND = "Only spend rules earn per unit; give points instead."
POINTS_NOT_SPEND = "A spend rule earns points_per_unit; leave points at 0."
THRESHOLD_ORDER = "Thresholds must increase with rank: {detail}."
COLOR_FORMAT = "Use a colour like #1a2b3c."


def _whole(value: Any) -> int:
    """A whole number from 0 to MAX_WHOLE (days, points, ranks)."""
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise ValueError("A whole number, 0 or more.")
    number = int(value)
    if number > MAX_WHOLE:
        raise ValueError(f"At most {MAX_WHOLE}.")
    return number


def _days(value: Any) -> int:
    days = _whole(value)
    if days > MAX_DAYS:
        raise ValueError(f"At most {MAX_DAYS} days.")
    return days


def _required_text(limit: int) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        cleaned = clean_text(value) if value is not None else ""
        if not cleaned:
            raise ValueError("This field is required.")
        if len(cleaned) > limit:
            raise ValueError(f"At most {limit} characters.")
        return cleaned

    return clean


def _program_data(data: dict[str, Any], current: LoyaltyProgram | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    check_known(data, PROGRAM_FIELDS, errors)
    if current is None:
        data.setdefault("name", "")
    apply(data, errors, "name", _required_text(200))
    apply(data, errors, "currency", currency_code)
    for name in ("points_valid_days", "tier_window_days", "statement_link_valid_days"):
        apply(data, errors, name, _days)
    if "tier_window_days" in data and data["tier_window_days"] == 0:
        errors.add("tier_window_days", "The rolling window is at least 1 day.")
    if data.get("tier_basis") not in (None, *TierBasis.values):
        errors.add("tier_basis", f"Use one of {', '.join(TierBasis.values)}.")
    if data.get("referral_reward_kind") not in (None, *ReferralRewardKind.values):
        errors.add("referral_reward_kind", f"Use one of {', '.join(ReferralRewardKind.values)}.")
    apply(
        data,
        errors,
        "referral_reward_credit",
        lambda value: decimal_value(value, places=2, minimum=Decimal(0), maximum=Decimal(10**9)),
    )
    if "description" in data:
        data["description"] = str(data["description"] or "").strip()
    errors.raise_if_any()
    return data


def program_create(*, actor: User, data: dict[str, Any]) -> LoyaltyProgram:
    return record_create(actor=actor, model=LoyaltyProgram, data=_program_data(data, None))


def program_update(
    *, actor: User, program: LoyaltyProgram, data: dict[str, Any], version: int | None = None
) -> LoyaltyProgram:
    """Partial update. The currency may change: earlier earnings keep their points, and spend in
    the new currency earns from now on."""
    return record_update(
        actor=actor,
        instance=program,
        data=_program_data(data, program),
        version=program.version if version is None else version,
    )


def program_delete(*, actor: User, program: LoyaltyProgram) -> None:
    """Deleting a program with members would destroy their ledgers: deactivate it instead."""
    require_program(actor, Action.DELETE, program)
    if program.members.exists():
        errors = FieldErrors()
        errors.add("id", "The program has members; set is_active to false instead of deleting.")
        errors.raise_if_any("A program with members cannot be deleted.")
    record_delete(actor=actor, instance=program)


def _rule_values(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    apply(data, errors, "name", _required_text(200))
    if "action" in data and data["action"] not in EarningAction.values:
        errors.add("action", f"Use one of {', '.join(EarningAction.values)}.")
    if "category" in data:
        data["category"] = clean_text(data["category"] or "")
    apply(
        data,
        errors,
        "points_per_unit",
        lambda value: decimal_value(value, places=4, minimum=Decimal(0), maximum=Decimal(10**5)),
    )
    for name in ("points", "cap_points"):
        apply(data, errors, name, _whole)
    apply(data, errors, "cap_period_days", _days)
    for name in ("valid_from", "valid_until"):
        apply(data, errors, name, _date)
    return data


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError("A date as YYYY-MM-DD.") from exc


def _check_rule(rule: EarningRule, errors: FieldErrors) -> None:
    """Fields that fit the action, dates ordered."""
    if rule.action == EarningAction.SPEND:
        if rule.points_per_unit <= 0:
            errors.add("points_per_unit", SPEND_NEEDS_RATE)
        if rule.points:
            errors.add("points", POINTS_NOT_SPEND)
    else:
        if rule.points <= 0:
            errors.add("points", ACTION_NEEDS_POINTS)
        if rule.category:
            errors.add("category", CATEGORY_ONLY_SPEND)
        if rule.points_per_unit:
            errors.add("points_per_unit", RATE_ONLY_SPEND)
    if rule.valid_from and rule.valid_until and rule.valid_until < rule.valid_from:
        errors.add("valid_until", DATES_ORDER)
    if rule.cap_period_days and not rule.cap_points:
        errors.add("cap_period_days", "A cap period needs cap_points.")


def _save_rule(rule: EarningRule, data: dict[str, Any]) -> EarningRule:
    errors = FieldErrors()
    check_known(data, RULE_FIELDS, errors)
    data = _rule_values(dict(data), errors)
    errors.raise_if_any()
    for name, value in data.items():
        setattr(rule, name, value)
    _check_rule(rule, errors)
    errors.raise_if_any()
    rule.save()
    return rule


def rule_create(*, actor: User, program: LoyaltyProgram, data: dict[str, Any]) -> EarningRule:
    require_program(actor, Action.EDIT, program)
    errors = FieldErrors()
    for name in ("name", "action"):
        if name not in data:
            errors.add(name, "This field is required.")
    errors.raise_if_any()
    return _save_rule(EarningRule(program=program), data)


def rule_update(
    *, actor: User, rule: EarningRule, data: dict[str, Any], version: int | None
) -> EarningRule:
    require_program(actor, Action.EDIT, rule.program)
    with transaction.atomic():
        claim_version(rule, version)
        return _save_rule(rule, data)


def rule_delete(*, actor: User, rule: EarningRule) -> None:
    """Entries earned by the rule keep their points and reason; their rule link is cleared."""
    require_program(actor, Action.EDIT, rule.program)
    rule.delete()


def _tier_values(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    apply(data, errors, "name", _required_text(100))
    apply(data, errors, "rank", _rank)
    apply(
        data,
        errors,
        "threshold",
        lambda value: decimal_value(value, places=2, minimum=Decimal(0), maximum=Decimal(10**12)),
    )
    if "benefits" in data:
        data["benefits"] = str(data["benefits"] or "").strip()
    if "color" in data:
        color = str(data["color"] or "").strip()
        if len(color) != 7 or not color.startswith("#") or not _is_hex(color[1:]):
            errors.add("color", COLOR_FORMAT)
        data["color"] = color.lower()
    return data


def _rank(value: Any) -> int:
    rank = _whole(value)
    if not 1 <= rank <= 100:
        raise ValueError("A rank from 1 to 100.")
    return rank


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in text)


def _check_ladder(tier: Tier, errors: FieldErrors) -> None:
    """Names and ranks unique in the program; thresholds strictly increasing by rank."""
    others = [other for other in tier.program.tiers.all() if other.pk != tier.pk]
    if any(other.rank == tier.rank for other in others):
        errors.add("rank", f"Another tier has rank {tier.rank}.")
    if any(other.name.lower() == tier.name.lower() for other in others):
        errors.add("name", f"Another tier is named {tier.name!r}.")
    lower = [other for other in others if other.rank < tier.rank]
    higher = [other for other in others if other.rank > tier.rank]
    below = max(lower, key=lambda other: other.rank, default=None)
    above = min(higher, key=lambda other: other.rank, default=None)
    if below is not None and tier.threshold <= below.threshold:
        detail = f"above {below.name}'s {below.threshold}"
        errors.add("threshold", THRESHOLD_ORDER.format(detail=detail))
    if above is not None and tier.threshold >= above.threshold:
        detail = f"below {above.name}'s {above.threshold}"
        errors.add("threshold", THRESHOLD_ORDER.format(detail=detail))


def _save_tier(tier: Tier, data: dict[str, Any]) -> Tier:
    errors = FieldErrors()
    check_known(data, TIER_FIELDS, errors)
    data = _tier_values(dict(data), errors)
    errors.raise_if_any()
    for name, value in data.items():
        setattr(tier, name, value)
    with transaction.atomic():
        # Serialize ladder edits of one program so two concurrent saves cannot both pass.
        LoyaltyProgram.objects.select_for_update().filter(pk=tier.program_id).first()
        _check_ladder(tier, errors)
        errors.raise_if_any()
        tier.save()
    return tier


def tier_create(*, actor: User, program: LoyaltyProgram, data: dict[str, Any]) -> Tier:
    require_program(actor, Action.EDIT, program)
    errors = FieldErrors()
    for name in ("name", "rank", "threshold"):
        if name not in data:
            errors.add(name, "This field is required.")
    errors.raise_if_any()
    return _save_tier(Tier(program=program), data)


def tier_update(*, actor: User, tier: Tier, data: dict[str, Any], version: int | None) -> Tier:
    require_program(actor, Action.EDIT, tier.program)
    with transaction.atomic():
        claim_version(tier, version)
        return _save_tier(tier, data)


def tier_delete(*, actor: User, tier: Tier) -> None:
    """Members in the tier drop to no tier until the next evaluation places them again."""
    require_program(actor, Action.EDIT, tier.program)
    tier.delete()
