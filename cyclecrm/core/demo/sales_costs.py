"""Demo sales costs: a year of monthly salaries and tools per sales team, so the acquisition
cost (CAC) and CLTV:CAC have both halves of their cost on the demo dashboards."""

import datetime as dt
from decimal import Decimal

from cyclecrm.analytics.models import SalesCost, SalesCostCategory
from cyclecrm.core.demo.context import DemoContext

DEMO_NOTE = "Demo data"
MONTHS = 12
SALES_TEAMS = ("North", "South", "West")
MONTHLY = ((SalesCostCategory.SALARIES, 9000), (SalesCostCategory.TOOLS, 400))


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1
    return [dt.date((index - n) // 12, (index - n) % 12 + 1, 1) for n in range(months)]


def build_sales_costs(context: DemoContext) -> None:
    """Replaces earlier demo sales costs (the note marks them), so running it again is safe."""
    SalesCost.objects.filter(note=DEMO_NOTE).delete()
    rng = context.rng("sales costs")
    admin = context.users.get("admin")
    teams = [context.teams[name] for name in SALES_TEAMS if name in context.teams]
    rows = [
        SalesCost(
            date=month,
            amount=Decimal(base + rng.randint(-base // 10, base // 10)),
            category=category,
            team=team,
            note=DEMO_NOTE,
            created_by=admin,
        )
        for month in _month_starts(context.now.date(), MONTHS)
        for team in teams
        for category, base in MONTHLY
    ]
    SalesCost.objects.bulk_create(rows)
    context.counts["sales costs"] = len(rows)
