"""What a tier is measured on: the points a member earned, or what the contact spent on paid and
fulfilled orders in the program currency, over the program's rolling window."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.loyalty.models import EntryKind, Member, Tier, TierBasis

SPEND_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)


def tier_measure(member: Member, at: dt.datetime | None = None) -> Decimal:
    at = at or timezone.now()
    program = member.program
    since = at - dt.timedelta(days=program.tier_window_days)
    if program.tier_basis == TierBasis.SPEND:
        orders = Order.objects.filter(
            contact_id=member.contact_id,
            status__in=SPEND_STATUSES,
            currency=program.currency,
            ordered_at__gt=since,
            ordered_at__lte=at,
        )
        return orders.aggregate(total=Sum("total"))["total"] or Decimal(0)
    earned = member.entries.filter(kind=EntryKind.EARN, created_at__gt=since, created_at__lte=at)
    return Decimal(earned.aggregate(total=Sum("points"))["total"] or 0)


def tier_for(tiers: list[Tier], measure: Decimal) -> Tier | None:
    """The highest-ranked tier whose threshold `measure` reaches (`tiers` of one program)."""
    reached = [tier for tier in tiers if measure >= tier.threshold]
    return max(reached, key=lambda tier: tier.rank) if reached else None


def next_tier(tiers: list[Tier], measure: Decimal) -> Tier | None:
    """The lowest tier above what `measure` reaches, for "N more to Gold"."""
    above = [tier for tier in tiers if measure < tier.threshold]
    return min(above, key=lambda tier: tier.threshold) if above else None
