"""Earning rules: which active rules apply, and points for actions (first purchase, birthday,
review written, referral converted, survey answered).

A rule applies on a day between its `valid_from` and `valid_until` (inclusive, either open). Its
cap limits the points one member earns from it per `cap_period_days` (0: over the membership's
whole life); an award above the cap is cut to what is left, and nothing is posted at zero."""

import datetime as dt
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EarningRule, EntryKind, LoyaltyProgram, Member, PointsEntry


def active_rules(program: LoyaltyProgram, action: str, on: dt.date) -> list[EarningRule]:
    return list(
        program.rules.filter(is_active=True, action=action)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("id")
    )


def capped_points(member: Member, rule: EarningRule, points: int, at: dt.datetime) -> int:
    """`points` cut to what the rule's cap still allows this member at `at`."""
    if not rule.cap_points:
        return points
    earned = PointsEntry.objects.filter(member=member, rule=rule, kind=EntryKind.EARN)
    if rule.cap_period_days:
        earned = earned.filter(created_at__gt=at - dt.timedelta(days=rule.cap_period_days))
    so_far = earned.aggregate(total=Sum("points"))["total"] or 0
    return max(0, min(points, rule.cap_points - so_far))


def expiry_for(program: LoyaltyProgram, at: dt.datetime) -> dt.datetime | None:
    if not program.points_valid_days:
        return None
    return at + dt.timedelta(days=program.points_valid_days)


def points_for_action(
    *,
    contact_id: int,
    action: str,
    source_key: str,
    reason: str,
    actor: Any = None,
    **links: Any,
) -> list[PointsEntry]:
    """Award the points of every active `action` rule in every active program the contact is a
    member of. `source_key` (e.g. `review:7`) makes the award idempotent per rule and member."""
    now = timezone.now()
    posted = []
    members = Member.objects.filter(contact_id=contact_id, program__is_active=True)
    for member in members.select_related("program"):
        for rule in active_rules(member.program, action, timezone.localdate(now)):
            points = capped_points(member, rule, rule.points, now)
            if points <= 0:
                continue
            entry = entry_post(
                member=member,
                kind=EntryKind.EARN,
                points=points,
                reason=reason,
                actor=actor,
                source_key=f"{source_key}:rule{rule.pk}",
                expires_at=expiry_for(member.program, now),
                rule=rule,
                **links,
            )
            if entry is not None:
                posted.append(entry)
    return posted
