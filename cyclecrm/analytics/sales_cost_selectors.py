"""Reads of sales costs (record type `sales_cost`: administrators and managers)."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from cyclecrm.analytics.models import SalesCost
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User


def can_read_sales_costs(actor: User) -> bool:
    return access.level(actor, SalesCost.record_type, Action.READ) != Level.NONE


def sales_cost_list(
    *,
    actor: User,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    team_id: int | None = None,
) -> QuerySet[SalesCost]:
    """Sales costs, newest first; none for a user without the `sales_cost` read right."""
    if not can_read_sales_costs(actor):
        return SalesCost.objects.none()
    queryset = SalesCost.objects.select_related("team").order_by("-date", "-id")
    if date_from is not None:
        queryset = queryset.filter(date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(date__lte=date_to)
    if team_id is not None:
        queryset = queryset.filter(team_id=team_id)
    return queryset


def sales_cost_get(*, actor: User, pk: Any) -> SalesCost:
    cost = None
    if str(pk).isdigit():
        cost = sales_cost_list(actor=actor).filter(pk=int(pk)).first()
    if cost is None:
        raise NotFound("No sales cost with this id.")
    return cost
