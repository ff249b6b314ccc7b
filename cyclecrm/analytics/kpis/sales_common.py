"""What the sales metrics share: the opportunities a metric reads and the drill-down to the
opportunity list filtered like it."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import scoped
from cyclecrm.identity.models import User
from cyclecrm.pipeline.models import Opportunity

OPPORTUNITY_FILTERS = frozenset({"team", "owner", "pipeline", "campaign"})
# Exchange rates convert amounts; stage changes move deals between stages.
OPPORTUNITY_SOURCES = ("pipeline.Opportunity", "pipeline.ExchangeRate")


def opportunities(actor: User, q: KpiQuery) -> QuerySet[Opportunity]:
    """Opportunities the actor may read, with the owner, team, pipeline and campaign filters."""
    return scoped(actor, Opportunity.objects.all(), q, pipeline="pipeline", campaign="campaign")


def opportunity_drill(q: KpiQuery, **params: Any) -> dict[str, Any]:
    """Opportunity list parameters for the query's filters, plus `params`."""
    return {
        "owner_id": q.owner,
        "team_id": q.team,
        "pipeline_id": q.pipeline,
        "campaign_id": q.campaign,
        **params,
    }


def owner_label(row: dict[str, Any]) -> str:
    """A user's name from `owner__first_name`, `owner__last_name`, `owner__username` values."""
    if not row.get("owner_id"):
        return "No owner"
    full = f"{row.get('owner__first_name') or ''} {row.get('owner__last_name') or ''}".strip()
    return full or row.get("owner__username") or str(row["owner_id"])
