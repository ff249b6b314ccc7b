"""Model rows to API dicts for rewards, redemptions and statements (shared by the API and the
public statement endpoint)."""

from typing import Any

from django.utils import timezone

from cyclecrm.loyalty.models import PointsEntry, Redemption, Reward, Tier
from cyclecrm.loyalty.rewards import reward_unavailable_reason
from cyclecrm.loyalty.statement import Statement

ENTRY_FIELDS = (
    "id",
    "kind",
    "points",
    "balance_after",
    "reason",
    "expires_at",
    "redemption_id",
    "created_at",
)


def reward_out(reward: Reward) -> dict[str, Any]:
    in_stock = reward.stock is None or reward.stock > 0
    available = (
        in_stock
        and reward.program.is_active
        and not reward_unavailable_reason(reward, timezone.localdate())
    )
    return {
        "id": reward.pk,
        "version": reward.version,
        "program_id": reward.program_id,
        "name": reward.name,
        "description": reward.description,
        "points_cost": reward.points_cost,
        "stock": reward.stock,
        "valid_from": reward.valid_from,
        "valid_until": reward.valid_until,
        "is_active": reward.is_active,
        "available": available,
        "created_at": reward.created_at,
    }


def redemption_out(redemption: Redemption) -> dict[str, Any]:
    return {
        "id": redemption.pk,
        "member_id": redemption.member_id,
        "contact_id": redemption.member.contact_id,
        "program_id": redemption.member.program_id,
        "reward_id": redemption.reward_id,
        "reward_name": redemption.reward.name,
        "points": redemption.points,
        "status": redemption.status,
        "reserved_at": redemption.reserved_at,
        "confirmed_at": redemption.confirmed_at,
        "cancelled_at": redemption.cancelled_at,
        "note": redemption.note,
        "actor_id": redemption.actor_id,
    }


def tier_out(tier: Tier | None) -> dict[str, Any] | None:
    if tier is None:
        return None
    fields = ("id", "name", "rank", "threshold", "benefits", "color")
    return {name: getattr(tier, name) for name in fields}


def entry_out(entry: PointsEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def statement_out(
    statement: Statement, entries: list[PointsEntry], next_cursor: str | None
) -> dict[str, Any]:
    member = statement.member
    return {
        "member_id": member.pk,
        "contact_id": member.contact_id,
        "program": {
            "id": member.program_id,
            "name": member.program.name,
            "currency": member.program.currency,
        },
        "joined_at": member.joined_at,
        "balance": statement.balance,
        "tier": tier_out(statement.tier),
        "tier_basis": member.program.tier_basis,
        "tier_measure": statement.tier_measure,
        "next_tier": tier_out(statement.next_tier),
        "to_next_tier": statement.to_next_tier,
        "progress_percent": statement.progress_percent,
        "expiring_soon": statement.expiring_soon,
        "expiring_before": statement.expiring_before,
        "recent_redemptions": [redemption_out(row) for row in statement.redemptions],
        "entries": [entry_out(entry) for entry in entries],
        "entries_next_cursor": next_cursor,
    }


def public_statement_out(statement: Statement, entries: list[PointsEntry]) -> dict[str, Any]:
    member = statement.member
    return {
        "program_name": member.program.name,
        "first_name": member.contact.first_name or "",
        "balance": statement.balance,
        "tier_name": statement.tier.name if statement.tier else None,
        "next_tier_name": statement.next_tier.name if statement.next_tier else None,
        "to_next_tier": statement.to_next_tier,
        "progress_percent": statement.progress_percent,
        "expiring_soon": statement.expiring_soon,
        "expiring_before": statement.expiring_before,
        "recent_redemptions": [
            {
                "reward_name": row.reward.name,
                "points": row.points,
                "status": row.status,
                "reserved_at": row.reserved_at,
            }
            for row in statement.redemptions
        ],
        "entries": [
            {
                "kind": entry.kind,
                "points": entry.points,
                "balance_after": entry.balance_after,
                "reason": entry.reason,
                "created_at": entry.created_at,
            }
            for entry in entries
        ],
    }
