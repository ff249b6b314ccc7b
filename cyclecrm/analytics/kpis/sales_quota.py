"""forecast_vs_quota: won plus weighted pipeline set against the quota of the period
(docs/kpis.md#forecast_vs_quota).

Which quotas count (so a user's and their team's quota are never added together):
- with the owner filter, that user's quotas;
- with the team filter, that team's quotas;
- otherwise the team quotas the actor may read, leaving out a team whose parent (or any
  ancestor) team also has a quota in the period, since the parent's target includes it; when
  the actor reads no team quota (a rep), the user quotas they read (a rep's own).
A quota only partly inside the period counts pro rata to the days it shares with the period.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from cyclecrm.analytics.kpis.definitions import Area, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.sales_common import (
    OPPORTUNITY_FILTERS,
    OPPORTUNITY_SOURCES,
    opportunities,
)
from cyclecrm.analytics.kpis.scope import money, percent
from cyclecrm.analytics.selectors.quotas import overlapping, quota_list
from cyclecrm.identity.models import Team, User
from cyclecrm.pipeline.analytics import OPEN, WON, forecast_window

QuotaRow = tuple[int | None, int | None, dt.date, dt.date, Decimal]


def prorated(rows: list[QuotaRow], start: dt.date, end: dt.date) -> Decimal:
    """Σ amount * days shared with [start, end] / days of the quota."""
    total = Decimal(0)
    for _user, _team, first, last, amount in rows:
        shared = (min(last, end) - max(first, start)).days + 1
        total += Decimal(amount) * shared / ((last - first).days + 1)
    return total


def _top_teams(rows: list[QuotaRow]) -> list[QuotaRow]:
    """Team quota rows whose team has no ancestor team among the rows."""
    parents = dict(Team.objects.values_list("id", "parent_id"))
    teams = {team for _user, team, *_ in rows}

    def below_another(team: int) -> bool:
        seen, parent = set(), parents.get(team)
        while parent is not None and parent not in seen:
            if parent in teams:
                return True
            seen.add(parent)
            parent = parents.get(parent)
        return False

    return [row for row in rows if not below_another(row[1])]


def quota_for(actor: User, q: KpiQuery) -> tuple[Decimal | None, str]:
    """The quota of the period and which quotas it sums (`basis`); None without any quota."""
    quotas = overlapping(quota_list(actor=actor), q.start, q.end).order_by()
    fields = ("user_id", "team_id", "period_start", "period_end", "amount")
    if q.owner is not None:
        rows, basis = list(quotas.filter(user_id=q.owner).values_list(*fields)), "owner"
    elif q.team is not None:
        rows, basis = list(quotas.filter(team_id=q.team).values_list(*fields)), "team"
    else:
        visible = list(quotas.values_list(*fields))
        rows = _top_teams([row for row in visible if row[1] is not None])
        basis = "teams"
        if not rows:
            rows, basis = [row for row in visible if row[0] is not None], "users"
    if not rows:
        return None, basis
    return prorated(rows, q.start, q.end), basis


@metric(
    name="forecast_vs_quota",
    label="Forecast vs. quota",
    area=Area.SALES,
    unit=Unit.PERCENT,
    description="Won plus weighted open pipeline expected to close in the period, as a share "
    "of the period's quota.",
    formula="(won amount closed in the period + Σ amount * probability / 100 of open deals "
    "expected to close in the period) / quota * 100",
    period="Won: closed_at in the period; open: expected_close_date in the period; quotas "
    "overlapping the period, pro rata to the shared days.",
    filters=OPPORTUNITY_FILTERS,
    grains=False,
    sources=(*OPPORTUNITY_SOURCES, "pipeline.Stage", "analytics.Quota"),
    chart="gauge",
    example="Quota 10,000 for March, 6,000 won and 2,000 weighted open: 80.00 % "
    "(attainment 60.00 %).",
)
def forecast_vs_quota(actor: User, q: KpiQuery) -> Result:
    quota, basis = quota_for(actor, q)
    if not quota:
        return Result(value=None, no_data="No quota is set for the period.")
    sums = forecast_window(
        opportunities(actor, q), start=q.start, end=q.end, today=timezone.localdate()
    ).aggregate(
        won=Sum("base_amount", filter=WON),
        weighted=Sum("base_weighted", filter=OPEN),
        unconverted=Count("id", filter=Q(fx_rate__isnull=True)),
    )
    won, weighted = money(sums["won"]), money(sums["weighted"])
    return Result(
        value=percent(won + weighted, quota),
        numerator=won + weighted,
        denominator=money(quota),
        extra={
            "quota": money(quota),
            "won": won,
            "weighted": weighted,
            "attainment": percent(won, quota),
            "basis": basis,
            "unconverted": sums["unconverted"] or 0,
        },
    )
