"""Points for orders: earned when an order is paid (or fulfilled, if it was never seen paid),
reversed when it is cancelled or refunded.

Only contacts who are already members earn; an order in another currency than the program's earns
nothing in that program. Each order line is counted by exactly one spend rule: the matching
category rule with the highest rate, else the general rule (no category) with the highest rate;
so a line counted by a category rule is never counted again by a general rule. Points are the
line net amounts (before tax) times the rule's rate, summed per rule and rounded down. Every
entry's source key starts with `order:<id>:`, so an order never earns twice however often its
events arrive; the reversal is posted once as `order:<id>:reversal`."""

import math
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cyclecrm.catalog.models import Order, OrderLine, OrderStatus
from cyclecrm.loyalty.earning import active_rules, capped_points, expiry_for, points_for_action
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EarningAction, EarningRule, EntryKind, Member, PointsEntry

EARNING_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
# An order that was paid at some point (a refunded order was paid first).
WAS_PAID = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REFUNDED)


def rule_for_line(line: OrderLine, rules: list[EarningRule]) -> EarningRule | None:
    """The one spend rule that counts this line (see the module docstring)."""
    category = line.product.category if line.product_id and line.product else ""
    matching = [rule for rule in rules if rule.category and rule.category == category]
    general = [rule for rule in rules if not rule.category]
    candidates = matching or general
    if not candidates:
        return None
    return max(candidates, key=lambda rule: (rule.points_per_unit, -rule.pk))


def spend_by_rule(order: Order, rules: list[EarningRule]) -> dict[EarningRule, Decimal]:
    """Net amount counted by each rule."""
    amounts: dict[EarningRule, Decimal] = defaultdict(Decimal)
    for line in order.lines.select_related("product"):
        rule = rule_for_line(line, rules)
        if rule is not None and line.net > 0:
            amounts[rule] += line.net
    return amounts


def order_earn(*, order: Order, actor: Any = None) -> list[PointsEntry]:
    """Post the order's spend points (and first-purchase points) for the contact's memberships."""
    if order.contact_id is None or order.status not in EARNING_STATUSES:
        return []
    posted: list[PointsEntry] = []
    members = Member.objects.filter(contact_id=order.contact_id, program__is_active=True)
    for member in members.select_related("program"):
        posted += _earn_in_program(member, order, actor)
    if _is_first_paid_order(order):
        posted += points_for_action(
            contact_id=order.contact_id,
            action=EarningAction.FIRST_PURCHASE,
            source_key="first_purchase",
            reason=f"First purchase: order {order.number}",
            actor=actor,
            order=order,
        )
    return posted


def _earn_in_program(member: Member, order: Order, actor: Any) -> list[PointsEntry]:
    program = member.program
    if order.currency != program.currency:
        return []  # documented: spend in another currency earns nothing in this program
    now = timezone.now()
    rules = active_rules(program, EarningAction.SPEND, timezone.localdate(order.ordered_at))
    posted = []
    for rule, amount in sorted(spend_by_rule(order, rules).items(), key=lambda item: item[0].pk):
        points = capped_points(member, rule, math.floor(amount * rule.points_per_unit), now)
        if points <= 0:
            continue
        entry = entry_post(
            member=member,
            kind=EntryKind.EARN,
            points=points,
            reason=f"Order {order.number}: {amount:.2f} {order.currency} ({rule.name})",
            actor=actor,
            source_key=f"order:{order.pk}:rule{rule.pk}",
            expires_at=expiry_for(program, now),
            rule=rule,
            order=order,
        )
        if entry is not None:
            posted.append(entry)
    return posted


def _is_first_paid_order(order: Order) -> bool:
    others = Order.objects.filter(contact_id=order.contact_id, status__in=WAS_PAID)
    return not others.exclude(pk=order.pk).exists()


def order_reverse(*, order: Order, actor: Any = None) -> list[PointsEntry]:
    """Take back what the order earned, once per member, as a negative `adjust` entry.

    Points already spent cannot be taken back: the reversal is clamped to the member's balance
    (the member keeps what was redeemed meanwhile; the reason says so)."""
    posted = []
    earned = _earned_per_member(order)
    for member in Member.objects.filter(pk__in=earned).select_related("program"):
        entry = _reverse_member(member, order, earned[member.pk], actor)
        if entry is not None:
            posted.append(entry)
    return posted


def _earned_per_member(order: Order) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    rows = PointsEntry.objects.filter(order=order, kind=EntryKind.EARN)
    for member_id, points in rows.values_list("member_id", "points"):
        totals[member_id] += points
    return dict(totals)


def _reverse_member(member: Member, order: Order, earned: int, actor: Any) -> PointsEntry | None:
    reason = (
        f"Order {order.number} {order.status}: the {earned} points earned on it are reversed "
        "(at most the balance; points already spent are kept)"
    )
    return entry_post(
        member=member,
        kind=EntryKind.ADJUST,
        points=-earned,
        reason=reason,
        actor=actor,
        source_key=f"order:{order.pk}:reversal",
        clamp_to_balance=True,
        order=order,
    )
