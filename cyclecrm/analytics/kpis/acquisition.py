"""Acquisition metrics: leads, the lead funnel, marketing cost and e-mail engagement
(docs/kpis.md#acquisition)."""

from django.db.models import Count

from cyclecrm.analytics.kpis.definitions import Area, Group, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import (
    bucket,
    drill,
    drill_filters,
    drill_period,
    in_period,
    scoped,
    series,
    split_series,
)
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead, LeadSource

LEAD_SOURCES = ("leads.Lead",)


def _leads(actor: User, q: KpiQuery):
    return scoped(actor, Lead.objects.all(), q, campaign="source_campaign")


@metric(
    name="new_leads",
    label="New leads",
    area=Area.ACQUISITION,
    unit=Unit.COUNT,
    description="Leads created in the period.",
    formula="count(leads with created_at in the period)",
    period="Leads created in the period (UTC days).",
    filters=frozenset({"team", "owner", "campaign"}),
    dimensions=("source", "campaign"),
    splits=("source",),
    sources=LEAD_SOURCES,
    chart="stacked_area",
    example="12 leads created from 1 to 30 November: new_leads = 12.",
)
def new_leads(actor: User, q: KpiQuery) -> Result:
    leads = _leads(actor, q).filter(in_period("created_at", q))
    base = {**drill_period(q), **drill_filters(q)}
    if q.grain and q.split_by == "source":
        rows = (
            leads.annotate(period=bucket("created_at", q.grain))
            .values_list("period", "source")
            .annotate(n=Count("id"))
            .order_by()
        )
        labels = dict(LeadSource.choices)
        points = split_series(q, rows, labels)
        total = sum(p.value or 0 for p in points)
        return Result(
            value=total, series=points, parts=labels, drill_url=drill("lead_list", **base)
        )
    if q.grain:
        rows = (
            leads.annotate(period=bucket("created_at", q.grain))
            .values("period")
            .annotate(n=Count("id"))
            .order_by()
        )
        points = series(q, {row["period"]: row["n"] for row in rows})
        return Result(
            value=sum(p.value or 0 for p in points),
            series=points,
            drill_url=drill("lead_list", **base),
        )
    if q.dimension == "source":
        labels = dict(LeadSource.choices)
        rows = leads.values("source").annotate(n=Count("id")).order_by("-n", "source")
        groups = [
            Group(
                key=row["source"],
                label=labels.get(row["source"], row["source"]),
                value=row["n"],
                drill_url=drill("lead_list", source=row["source"], **base),
            )
            for row in rows
        ]
        return Result(
            value=sum(g.value for g in groups), groups=groups, drill_url=drill("lead_list", **base)
        )
    if q.dimension == "campaign":
        rows = (
            leads.values("source_campaign_id", "source_campaign__name")
            .annotate(n=Count("id"))
            .order_by("-n", "source_campaign__name")
        )
        groups = [
            Group(
                key=str(row["source_campaign_id"] or ""),
                label=row["source_campaign__name"] or "No campaign",
                value=row["n"],
                drill_url=drill("lead_list", source_campaign_id=row["source_campaign_id"], **base)
                if row["source_campaign_id"]
                else None,
            )
            for row in rows
        ]
        return Result(
            value=sum(g.value for g in groups), groups=groups, drill_url=drill("lead_list", **base)
        )
    count = leads.count()
    return Result(
        value=count,
        no_data=None,
        drill_url=drill("lead_list", **base),
    )


# The funnel, marketing cost and e-mail metrics register on import (kept in their own modules).
from cyclecrm.analytics.kpis import (  # noqa: E402, F401
    acquisition_forms,
    acquisition_funnel,
    acquisition_marketing,
)
