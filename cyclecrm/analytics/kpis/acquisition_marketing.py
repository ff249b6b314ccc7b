"""Marketing spend and e-mail engagement KPIs (docs/kpis.md#acquisition).

Cost is the campaigns' `CampaignCost` entries dated in the period (base currency, like the
campaign page). Revenue for ROI is the campaign attribution's linear credit
(`campaigns.attribution`, the campaign page's definition) of won deals closed in the period.
E-mail counts are `mailings.selectors.engagement_counts` over the recipients sent in the period.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from cyclecrm.analytics.kpis.acquisition_funnel import cohort
from cyclecrm.analytics.kpis.definitions import Area, Group, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import (
    HUNDRED,
    bucket,
    in_period,
    in_period_dates,
    money,
    percent,
    quotient,
    scoped,
    series,
)
from cyclecrm.campaigns import attribution
from cyclecrm.campaigns.models import Campaign, CampaignCost
from cyclecrm.campaigns.selectors import roi
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.mailings.models import Mailing, MailingRecipient
from cyclecrm.mailings.selectors import delivered_count, engagement_counts
from cyclecrm.pipeline.models import Opportunity

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))
COST_SOURCES = ("campaigns.Campaign", "campaigns.CampaignCost")


def campaign_costs(actor: User, q: KpiQuery) -> QuerySet[CampaignCost]:
    """Cost entries dated in the period, of campaigns the actor may read."""
    campaigns = access.restrict(Campaign.objects.all(), actor).values("pk")
    costs = CampaignCost.objects.filter(in_period_dates("date", q), campaign_id__in=campaigns)
    return costs.filter(campaign_id=q.campaign) if q.campaign is not None else costs


def _campaign_url(pk: int) -> str:
    return reverse("campaign_detail", args=[pk])


def _names(ids: set[int]) -> dict[int, str]:
    return dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name"))


@metric(
    name="cost_per_lead",
    label="Cost per lead",
    area=Area.ACQUISITION,
    unit=Unit.MONEY,
    description="Marketing spend in the period per lead created in the period.",
    formula="sum(campaign costs dated in the period) ÷ count(leads created in the period)",
    period="Cost entries dated in the period; leads created in the period.",
    filters=frozenset({"campaign"}),
    dimensions=("campaign",),
    grains=False,
    sources=(*COST_SOURCES, "leads.Lead"),
    higher_is_better=False,
    chart="number",
    example="1,200.00 spent in March, 40 leads created in March: 30.00 per lead.",
)
def cost_per_lead(actor: User, q: KpiQuery) -> Result:
    costs = campaign_costs(actor, q)
    leads = cohort(actor, q)
    if q.dimension == "campaign":
        spent = dict(
            costs.values("campaign_id")
            .annotate(total=Sum("amount"))
            .values_list("campaign_id", "total")
            .order_by()
        )
        counted = dict(
            leads.filter(source_campaign__isnull=False)
            .values("source_campaign_id")
            .annotate(n=Count("id"))
            .values_list("source_campaign_id", "n")
            .order_by()
        )
        names = _names(set(spent))
        groups = [
            Group(
                key=str(pk),
                label=names[pk],
                value=quotient(money(spent[pk]), counted.get(pk, 0)),
                numerator=money(spent[pk]),
                denominator=counted.get(pk, 0),
                drill_url=_campaign_url(pk),
            )
            for pk in sorted(spent, key=lambda pk: names[pk])
        ]
    else:
        groups = None
    cost = money(costs.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"])
    count = leads.count()
    return Result(
        value=quotient(cost, count),
        no_data=None if count else "No leads were created in the period.",
        numerator=cost,
        denominator=count,
        groups=groups,
    )


@metric(
    name="campaign_roi",
    label="Campaign ROI",
    area=Area.ACQUISITION,
    unit=Unit.PERCENT,
    description="Won revenue credited to campaigns, less their cost, per unit of cost.",
    formula="(linear-attributed revenue of deals won in the period - campaign costs dated in "
    "the period) ÷ campaign costs * 100",
    period="Deals closed won in the period; cost entries dated in the period.",
    filters=frozenset({"campaign"}),
    dimensions=("campaign",),
    grains=False,
    sources=(*COST_SOURCES, "campaigns.CampaignTouch", "pipeline.Opportunity", "leads.Lead"),
    chart="hbar",
    example="3,000.00 credited, 1,200.00 spent: (3,000 - 1,200) ÷ 1,200 = 150.00%.",
)
def campaign_roi(actor: User, q: KpiQuery) -> Result:
    spent = {
        pk: money(total)
        for pk, total in campaign_costs(actor, q)
        .values("campaign_id")
        .annotate(total=Sum("amount"))
        .values_list("campaign_id", "total")
        .order_by()
    }
    deals = access.restrict(Opportunity.objects.filter(in_period("closed_at", q)), actor)
    credits = attribution.attribute(
        campaign_ids=[q.campaign] if q.campaign is not None else None, within=deals
    ).credits
    readable = set(
        access.restrict(
            Campaign.objects.filter(pk__in=set(credits) | set(spent)), actor
        ).values_list("pk", flat=True)
    )
    if q.campaign is not None:
        readable &= {q.campaign}
    revenue = {pk: credits[pk].linear for pk in readable if pk in credits}
    names = _names(readable)
    groups = [
        Group(
            key=str(pk),
            label=names[pk],
            value=_percent_roi(revenue.get(pk, Decimal(0)), spent.get(pk, Decimal(0))),
            numerator=money(revenue.get(pk, 0)),
            denominator=spent.get(pk, Decimal(0)),
            drill_url=_campaign_url(pk),
        )
        for pk in sorted(readable, key=lambda pk: names[pk])
    ]
    total_revenue = money(sum(revenue.values()))
    total_cost = money(sum(spent.get(pk, 0) for pk in readable))
    return Result(
        value=_percent_roi(total_revenue, total_cost),
        no_data=None if total_cost else "No campaign cost was recorded in the period.",
        numerator=total_revenue,
        denominator=total_cost,
        groups=groups if q.dimension == "campaign" else None,
    )


def _percent_roi(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """The campaign page's `roi` ratio, in percent."""
    ratio = roi(revenue, cost)
    return None if ratio is None else money(ratio * HUNDRED)


# E-mail engagement ------------------------------------------------------------------------

EMAIL_SOURCES = ("mailings.Mailing", "mailings.MailingRecipient")
NO_MAIL = "No e-mail was delivered in the period."


def recipients(actor: User, q: KpiQuery) -> QuerySet[MailingRecipient]:
    """Recipients sent in the period, of mailings the actor may read."""
    mailings = access.restrict(Mailing.objects.all(), actor).values("pk")
    rows = MailingRecipient.objects.filter(in_period("sent_at", q), mailing_id__in=mailings)
    return scoped(
        actor,
        rows,
        q,
        owner="mailing__owner",
        team="mailing__team",
        campaign="mailing__campaign",
        contact="contact",
        restrict=False,
    )


def _with_delivered(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "delivered": delivered_count(counts)}


def email_rate(actor: User, q: KpiQuery, part: str, whole: str, no_data: str) -> Result:
    rows = recipients(actor, q)
    total = _with_delivered(rows.aggregate(**engagement_counts()))
    result = Result(
        value=percent(total[part], total[whole]),
        no_data=None if total[whole] else no_data,
        numerator=total[part],
        denominator=total[whole],
    )
    if q.grain:
        found = rows.annotate(period=bucket("sent_at", q.grain)).values("period")
        values = {}
        for row in found.annotate(**engagement_counts()).order_by():
            row = _with_delivered(row)
            values[row["period"]] = percent(row[part], row[whole])
        result.series = series(q, values, None)
    elif q.dimension == "mailing":
        grouped = rows.values("mailing_id", "mailing__name").annotate(**engagement_counts())
        result.groups = []
        for row in grouped.order_by("mailing__name", "mailing_id"):
            row = _with_delivered(row)
            result.groups.append(
                Group(
                    key=str(row["mailing_id"]),
                    label=row["mailing__name"],
                    value=percent(row[part], row[whole]),
                    numerator=row[part],
                    denominator=row[whole],
                    drill_url=reverse("mailing_detail", args=[row["mailing_id"]]),
                )
            )
    return result


def _email_metric(name: str, label: str, part: str, whole: str, example: str, better=True):
    base = {"delivered": "delivered", "sent": "sent", "opened": "uniquely opened"}[whole]
    no_data = {
        "delivered": NO_MAIL,
        "sent": "No e-mail was sent in the period.",
        "opened": "No e-mail sent in the period was opened.",
    }[whole]

    @metric(
        name=name,
        label=label,
        area=Area.ACQUISITION,
        unit=Unit.PERCENT,
        description=f"{label} of the mailing messages sent in the period.",
        formula=f"recipients {part} ÷ recipients {base} * 100, over messages sent in the period",
        period="Mailing recipients whose message was sent in the period (UTC days).",
        filters=frozenset({"team", "owner", "campaign", "segment"}),
        dimensions=("mailing",),
        sources=EMAIL_SOURCES,
        higher_is_better=better,
        chart="line",
        example=example,
    )
    def compute(actor: User, q: KpiQuery) -> Result:
        return email_rate(actor, q, part, whole, no_data)

    compute.__name__ = name
    return compute


email_open_rate = _email_metric(
    "email_open_rate", "Open rate", "opened", "delivered", "200 delivered, 50 opened: 25.00%."
)
email_click_rate = _email_metric(
    "email_click_rate", "Click rate", "clicked", "delivered", "200 delivered, 10 clicked: 5.00%."
)
click_to_open_rate = _email_metric(
    "click_to_open_rate", "Click-to-open rate", "clicked", "opened", "50 opened, 10 clicked: 20%."
)
unsubscribe_rate = _email_metric(
    "unsubscribe_rate",
    "Unsubscribe rate",
    "unsubscribed",
    "delivered",
    "200 delivered, 3 unsubscribed: 1.50%.",
    better=False,
)
bounce_rate = _email_metric(
    "bounce_rate",
    "Bounce rate",
    "bounced",
    "sent",
    "205 sent, 5 bounced: 2.44%.",
    better=False,
)
