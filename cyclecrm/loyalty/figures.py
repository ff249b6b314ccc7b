"""Program figures over a period, from SQL aggregates.

Definitions (docs/loyalty-rewards.md):
- members: contacts enrolled on or before the period's end.
- active members: members with a ledger entry or a paid/fulfilled order in the
  `ACTIVE_WINDOW_DAYS` days ending at the period's end.
- points issued: earn entries in the period; redeemed: redeem entries minus refunds in the
  period; expired: expire entries in the period (manual adjustments are in none of them).
- redemption rate: redeemed ÷ issued (None when nothing was issued).
- members vs non-members: paid or fulfilled orders in the period in the program currency, split
  by whether the order's contact is a member of the program (enrolled at any time, so the two
  groups do not shift within a period). Repeat purchase rate: buyers with two or more such
  orders ÷ buyers. Average order value: total ÷ number of orders.

Figures aggregate every member and order, including contacts the reader may not open one by
one, so reading them needs the program's export right."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.money import round_money
from cyclecrm.identity.models import Action
from cyclecrm.loyalty.access import require_program
from cyclecrm.loyalty.models import EntryKind, LoyaltyProgram, Member, PointsEntry

ACTIVE_WINDOW_DAYS = 90
DEFAULT_PERIOD_DAYS = 365
MAX_PERIOD_DAYS = 3660
PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)


@dataclass(frozen=True)
class BuyerFigures:
    buyers: int
    orders: int
    revenue: Decimal
    repeat_buyers: int
    repeat_purchase_rate: float | None
    average_order_value: Decimal | None


@dataclass(frozen=True)
class ProgramFigures:
    program: LoyaltyProgram
    since: dt.datetime
    until: dt.datetime
    members: int
    active_members: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    redemption_rate: float | None
    members_buying: BuyerFigures
    non_members_buying: BuyerFigures


def figures_period(
    since: dt.datetime | None, until: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """The period asked for, defaulting to the year up to now; 422 naming the bad bound."""
    until = until or timezone.now()
    since = since or until - dt.timedelta(days=DEFAULT_PERIOD_DAYS)
    if since >= until:
        raise ValidationFailed(fields={"since": ["The start must be before the end."]})
    if until - since > dt.timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationFailed(fields={"since": [f"At most {MAX_PERIOD_DAYS} days at once."]})
    return since, until


def program_figures(
    *,
    actor: Any,
    program: LoyaltyProgram,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> ProgramFigures:
    require_program(actor, Action.EXPORT, program)
    since, until = figures_period(since, until)
    points = _points(program, since, until)
    issued, redeemed = points["issued"], points["redeemed"]
    orders = _orders(program, since, until)
    member_q = Exists(Member.objects.filter(program=program, contact_id=OuterRef("contact_id")))
    return ProgramFigures(
        program=program,
        since=since,
        until=until,
        members=program.members.filter(joined_at__lte=until).count(),
        active_members=_active_members(program, until),
        points_issued=issued,
        points_redeemed=redeemed,
        points_expired=points["expired"],
        redemption_rate=round(redeemed / issued, 4) if issued else None,
        members_buying=_buyers(orders.filter(member_q), program.currency),
        non_members_buying=_buyers(orders.exclude(member_q), program.currency),
    )


def _points(program: LoyaltyProgram, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    entries = PointsEntry.objects.filter(
        member__program=program, created_at__gt=since, created_at__lte=until
    )
    return points_totals(entries)


def points_totals(entries: QuerySet[PointsEntry]) -> dict[str, int]:
    """Points issued, redeemed (net of refunds) and expired in `entries`, in one aggregate;
    also the redemption KPI's definition (analytics/kpis/retention_value.py)."""
    totals = entries.order_by().aggregate(
        issued=Sum("points", filter=Q(kind=EntryKind.EARN)),
        redeemed=Sum("points", filter=Q(kind=EntryKind.REDEEM)),
        refunded=Sum("points", filter=Q(kind=EntryKind.REFUND)),
        expired=Sum("points", filter=Q(kind=EntryKind.EXPIRE)),
    )
    return {
        "issued": totals["issued"] or 0,
        "redeemed": -(totals["redeemed"] or 0) - (totals["refunded"] or 0),
        "expired": -(totals["expired"] or 0),
    }


def _active_members(program: LoyaltyProgram, until: dt.datetime) -> int:
    start = until - dt.timedelta(days=ACTIVE_WINDOW_DAYS)
    recent_entry = PointsEntry.objects.filter(
        member=OuterRef("pk"), created_at__gt=start, created_at__lte=until
    )
    recent_order = Order.objects.filter(
        contact_id=OuterRef("contact_id"),
        status__in=PURCHASE_STATUSES,
        ordered_at__gt=start,
        ordered_at__lte=until,
    )
    members = program.members.filter(joined_at__lte=until)
    return members.filter(Q(Exists(recent_entry)) | Q(Exists(recent_order))).count()


def _orders(program: LoyaltyProgram, since: dt.datetime, until: dt.datetime) -> QuerySet[Order]:
    return Order.objects.filter(
        contact__isnull=False,
        status__in=PURCHASE_STATUSES,
        currency=program.currency,
        ordered_at__gt=since,
        ordered_at__lte=until,
    )


def buyer_totals(orders: QuerySet[Order]) -> dict[str, Any]:
    """One query: orders grouped per buyer in a subquery, summed over the buyers. `repeat` is
    the buyers with two or more of the orders: the one repeat-purchase definition, also used by
    the repeat purchase rate KPI (analytics/kpis/retention_value.py)."""
    per_buyer = (
        orders.order_by().values("contact_id").annotate(count=Count("id"), spent=Sum("total"))
    )
    return per_buyer.aggregate(
        buyers=Count("contact_id"),
        repeat=Count("contact_id", filter=Q(count__gte=2)),
        orders=Sum("count"),
        revenue=Sum("spent"),
    )


def _buyers(orders: QuerySet[Order], currency: str) -> BuyerFigures:
    totals = buyer_totals(orders)
    buyers, repeat = totals["buyers"] or 0, totals["repeat"] or 0
    count, revenue = totals["orders"] or 0, totals["revenue"] or Decimal(0)
    return BuyerFigures(
        buyers=buyers,
        orders=count,
        revenue=round_money(revenue, currency),
        repeat_buyers=repeat,
        repeat_purchase_rate=round(repeat / buyers, 4) if buyers else None,
        average_order_value=round_money(revenue / count, currency) if count else None,
    )
