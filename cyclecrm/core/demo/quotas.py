"""Demo step for sales quotas: a monthly quota for each sales rep and each sales team under
"Sales" (not "Sales" itself, so the forecast-vs-quota gauge sums the teams), for the last three
months, the current one and the next. A rep's quota is about 110 % of their average monthly
wins over the past half year, a team's the sum of its reps'. Idempotent: months that already
have a quota for the user or team are left alone."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from cyclecrm.analytics.models import Quota
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.pipeline.models import Opportunity, StageKind

MONTHS_BACK = 3
MONTHS_AHEAD = 1
FLOOR = Decimal(20000)


def _month(day: dt.date, offset: int) -> tuple[dt.date, dt.date]:
    index = day.year * 12 + day.month - 1 + offset
    first = dt.date(index // 12, index % 12 + 1, 1)
    after = dt.date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def _monthly_targets(context: DemoContext) -> dict[int, Decimal]:
    """user id -> quota per month, rounded to thousands."""
    since = context.now - dt.timedelta(days=182)
    won = dict(
        Opportunity.objects.filter(
            stage__kind=StageKind.WON, closed_at__gte=since, owner__in=context.reps
        )
        .values_list("owner_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    targets = {}
    for rep in context.reps:
        monthly = Decimal(won.get(rep.pk) or 0) / 6 * Decimal("1.1")
        targets[rep.pk] = max(FLOOR, (monthly / 1000).quantize(Decimal(1)) * 1000)
    return targets


def build_quotas(context: DemoContext) -> None:
    targets = _monthly_targets(context)
    teams: dict[int, tuple[object, Decimal]] = {}
    for rep in context.reps:
        team = context.home_team.get(rep.pk)
        if team is not None:
            _, total = teams.get(team.pk, (team, Decimal(0)))
            teams[team.pk] = (team, total + targets[rep.pk])
    today = context.now.date()
    existing = set(Quota.objects.values_list("user_id", "team_id", "period_start"))
    rows = []
    for offset in range(-MONTHS_BACK, MONTHS_AHEAD + 1):
        first, last = _month(today, offset)
        wanted = [(rep.pk, None, targets[rep.pk]) for rep in context.reps]
        wanted += [(None, team.pk, total) for team, total in teams.values()]
        rows += [
            Quota(user_id=user, team_id=team, period_start=first, period_end=last, amount=amount)
            for user, team, amount in wanted
            if (user, team, first) not in existing
        ]
    Quota.objects.bulk_create(rows)
    context.counts["quotas"] = len(rows)
