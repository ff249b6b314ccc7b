"""Multi-touch attribution of won revenue to campaigns (docs/campaigns.md, ADR 0012).

For every won opportunity with an amount, its touches are those recorded on the opportunity,
on the lead it was converted from and on its primary contact, up to its close time, ordered
by (touched_at, id). Its amount, in the base currency at the close day's rate, is credited:

- first touch: all of it to the campaign of the earliest touch;
- last touch: all of it to the campaign of the latest touch;
- linear: an equal share to every touch (a campaign with two touches gets two shares). Shares
  are rounded down to the currency's minor unit and the remaining minor units go one each to
  the earliest touches, so the shares always sum exactly to the amount.

Three queries whatever the number of opportunities (won deals with base amounts, the leads
converted into them, their touches); the crediting itself is linear in the touches.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from cyclecrm.campaigns.models import CampaignTouch
from cyclecrm.core.money import minor_unit, round_money
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.currency import base_currency, with_base_amounts
from cyclecrm.pipeline.models import Opportunity, StageKind

MODELS = ("first_touch", "last_touch", "linear")


@dataclass
class Credit:
    """Revenue credited to one campaign under each model, and the won deals it touched."""

    first_touch: Decimal = Decimal(0)
    last_touch: Decimal = Decimal(0)
    linear: Decimal = Decimal(0)
    customers: set[int] = field(default_factory=set)

    def by_model(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in MODELS}


@dataclass(frozen=True)
class Touch:
    id: int
    campaign_id: int
    at: dt.datetime


@dataclass
class Attribution:
    credits: dict[int, Credit]
    # Won revenue of the opportunities that had at least one touch before closing.
    touched_revenue: Decimal
    # Won opportunities left out because their currency had no rate on the close day.
    unconverted: int


def linear_shares(amount: Decimal, count: int, currency: str) -> list[Decimal]:
    """`amount` split in `count` shares of whole minor units summing exactly to it; the
    leftover units go one each to the first shares."""
    unit = Decimal(1).scaleb(-minor_unit(currency))
    base = (amount / count).quantize(unit, rounding=ROUND_DOWN)
    leftover = int((amount - base * count) / unit)
    return [base + unit if index < leftover else base for index in range(count)]


def won_opportunities() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(
        stage__kind=StageKind.WON, amount__gt=0, closed_at__isnull=False
    )


def touching(queryset: QuerySet[Opportunity], campaign_ids: Iterable[int]) -> QuerySet:
    """Opportunities with a touch of one of the campaigns (on the deal, its lead or contact)."""
    touches = CampaignTouch.objects.filter(campaign_id__in=list(campaign_ids))
    leads = Lead.objects.filter(pk__in=touches.values("lead_id"))
    return queryset.filter(
        Q(pk__in=touches.values("opportunity_id"))
        | Q(contact_id__in=touches.values("contact_id"))
        | Q(pk__in=leads.values("converted_opportunity_id"))
    )


def _touches_by_key(opportunities: QuerySet) -> dict[tuple[str, int], list[Touch]]:
    ids = opportunities.values("id")
    leads = Lead.objects.filter(converted_opportunity_id__in=ids)
    rows = CampaignTouch.objects.filter(
        Q(opportunity_id__in=ids)
        | Q(lead_id__in=leads.values("id"))
        | Q(contact_id__in=opportunities.values("contact_id"))
    ).values_list("id", "campaign_id", "touched_at", "opportunity_id", "lead_id", "contact_id")
    index: dict[tuple[str, int], list[Touch]] = defaultdict(list)
    for pk, campaign_id, at, opportunity_id, lead_id, contact_id in rows:
        touch = Touch(pk, campaign_id, at)
        for kind, key in (("o", opportunity_id), ("l", lead_id), ("c", contact_id)):
            if key is not None:
                index[(kind, key)].append(touch)
    return index


def attribute(
    *,
    campaign_ids: Iterable[int] | None = None,
    within: QuerySet[Opportunity] | None = None,
) -> Attribution:
    """Credits per campaign; with `campaign_ids`, only opportunities those campaigns touched
    are read (their credits to other campaigns are computed too, and are exact); with
    `within`, only the won opportunities among those (e.g. closed in a KPI's period and
    readable by its viewer)."""
    currency = base_currency()
    opportunities = won_opportunities()
    if within is not None:
        opportunities = opportunities.filter(pk__in=within.values("pk"))
    if campaign_ids is not None:
        opportunities = touching(opportunities, campaign_ids)
    annotated = with_base_amounts(opportunities, today=timezone.localdate())
    deals = list(annotated.values_list("id", "contact_id", "closed_at", "base_amount"))
    lead_of: dict[int, list[int]] = defaultdict(list)
    for lead_id, opportunity_id in Lead.objects.filter(
        converted_opportunity_id__in=opportunities.values("id")
    ).values_list("id", "converted_opportunity_id"):
        lead_of[opportunity_id].append(lead_id)
    index = _touches_by_key(opportunities)
    credits: dict[int, Credit] = defaultdict(Credit)
    total, unconverted = Decimal(0), 0
    for pk, contact_id, closed_at, base_amount in deals:
        if base_amount is None:
            unconverted += 1
            continue
        keys = [("o", pk), ("c", contact_id), *(("l", lead) for lead in lead_of[pk])]
        touches = _ordered(index, keys, closed_at)
        if not touches:
            continue
        amount = round_money(Decimal(base_amount), currency)
        total += amount
        _credit(credits, touches, amount, pk, currency)
    return Attribution(credits=dict(credits), touched_revenue=total, unconverted=unconverted)


def _ordered(
    index: dict[tuple[str, int], list[Touch]], keys: list, closed_at: dt.datetime
) -> list[Touch]:
    seen = {touch.id: touch for key in keys if key[1] is not None for touch in index.get(key, [])}
    return sorted(
        (touch for touch in seen.values() if touch.at <= closed_at),
        key=lambda touch: (touch.at, touch.id),
    )


def _credit(
    credits: dict[int, Credit], touches: list[Touch], amount: Decimal, deal: int, currency: str
) -> None:
    credits[touches[0].campaign_id].first_touch += amount
    credits[touches[-1].campaign_id].last_touch += amount
    for touch, share in zip(touches, linear_shares(amount, len(touches), currency), strict=True):
        credits[touch.campaign_id].linear += share
        credits[touch.campaign_id].customers.add(deal)
