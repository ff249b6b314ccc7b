"""Reads for quotas: only those the reader may see (a rep their own, a manager their teams')."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from cyclecrm.analytics.models import Quota
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User


def quota_list(
    *,
    actor: User,
    action: str = Action.READ,
    user_id: int | None = None,
    team_id: int | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> QuerySet[Quota]:
    """Quotas visible to `actor`, for one user or team, overlapping [period_from, period_to]."""
    quotas = access.restrict(Quota.objects.all(), actor, action)
    if user_id is not None:
        quotas = quotas.filter(user_id=user_id)
    if team_id is not None:
        quotas = quotas.filter(team_id=team_id)
    if period_from is not None:
        quotas = quotas.filter(period_end__gte=period_from)
    if period_to is not None:
        quotas = quotas.filter(period_start__lte=period_to)
    return quotas.select_related("user", "team")


def quota_get(*, actor: User, pk: Any, action: str = Action.READ) -> Quota:
    found = None
    if str(pk).isdigit():
        found = quota_list(actor=actor, action=action).filter(pk=pk).first()
    if found is None:
        raise NotFound("No quota with this id.")
    return found


def overlapping(
    quotas: QuerySet[Quota], start: dt.date, end: dt.date, exclude: int | None = None
) -> QuerySet[Quota]:
    """Quotas whose period shares at least one day with [start, end]."""
    found = quotas.filter(Q(period_start__lte=end) & Q(period_end__gte=start))
    return found.exclude(pk=exclude) if exclude else found
