"""Reads for campaigns, starting from the permission gate. Figures (cost, members by status,
leads sourced, attributed revenue, ROI) are aggregates: a fixed number of queries per page."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from cyclecrm.campaigns import attribution
from cyclecrm.campaigns.filters import CampaignFilters
from cyclecrm.campaigns.models import (
    Campaign,
    CampaignCost,
    CampaignMember,
    CampaignTouch,
    MemberStatus,
    UtmLink,
)
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors, NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.money import round_money
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.models import Opportunity

CAMPAIGN_ORDERINGS = orderings_with_reverse(
    {"created_at": ("created_at", "id"), "name": ("name", "id")}
)
CAMPAIGN_DEFAULT_ORDERING = "-created_at"
MEMBER_ORDERINGS = orderings_with_reverse({"id": ("id",)})
COST_ORDERINGS = orderings_with_reverse({"date": ("date", "id")})
ID_ORDERINGS = orderings_with_reverse({"id": ("id",)})
TOUCH_ORDERINGS = orderings_with_reverse({"touched_at": ("touched_at", "id")})
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=4))
RATIO_PLACES = Decimal("0.0001")


def campaign_list(
    *, actor: User, filters: CampaignFilters | None = None, action: str = Action.READ
) -> QuerySet[Campaign]:
    queryset = access.restrict(Campaign.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    return queryset.select_related("owner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def with_actual_cost(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Annotate `actual_cost` (the sum of cost entries) with a correlated subquery."""
    costs = (
        CampaignCost.objects.filter(campaign=OuterRef("pk"))
        .values("campaign")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return queryset.annotate(actual_cost=Coalesce(Subquery(costs), ZERO))


def campaign_get(*, actor: User, pk: Any, action: str = Action.READ) -> Campaign:
    campaign = None
    if str(pk).isdigit():
        campaign = campaign_list(actor=actor, action=action).filter(pk=pk).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    return campaign


def campaign_costs(*, campaign: Campaign) -> QuerySet[CampaignCost]:
    return CampaignCost.objects.filter(campaign=campaign)


def campaign_members(*, actor: User, campaign: Campaign, status: str | None = None) -> QuerySet:
    """Members whose contact or lead the actor may read (others are not listed)."""
    contacts = access.restrict(Contact.objects.all(), actor).values("pk")
    leads = access.restrict(Lead.objects.all(), actor).values("pk")
    members = CampaignMember.objects.filter(campaign=campaign).filter(
        Q(contact_id__in=contacts) | Q(lead_id__in=leads)
    )
    if status:
        members = members.filter(status=status)
    return members.select_related("contact", "lead")


def campaign_touches(*, actor: User, campaign: Campaign) -> QuerySet[CampaignTouch]:
    """The campaign's touches whose lead, contact and opportunity the actor may all read."""
    touches = CampaignTouch.objects.filter(campaign=campaign)
    for name, model in (("lead", Lead), ("contact", Contact), ("opportunity", Opportunity)):
        visible = access.restrict(model.objects.all(), actor).values("pk")
        touches = touches.filter(Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__in": visible}))
    return touches.select_related("lead", "contact", "opportunity")


def utm_links(*, campaign: Campaign) -> QuerySet[UtmLink]:
    return UtmLink.objects.filter(campaign=campaign)


def touches_of(
    *, actor: User, lead: Lead | None = None, opportunity: Opportunity | None = None
) -> list[CampaignTouch]:
    """Touches of campaigns the actor may read on a lead, or on an opportunity (with those of
    its converted lead and primary contact), oldest first; for the record pages' panel."""
    condition = Q(pk__in=[])
    if lead is not None:
        condition |= Q(lead=lead)
    if opportunity is not None:
        condition |= Q(opportunity=opportunity)
        condition |= Q(lead__in=Lead.objects.filter(converted_opportunity=opportunity))
        if opportunity.contact_id:
            condition |= Q(contact_id=opportunity.contact_id)
    visible = campaign_list(actor=actor).values("pk")
    return list(
        CampaignTouch.objects.filter(condition, campaign_id__in=visible)
        .select_related("campaign")
        .order_by("touched_at", "id")[:200]
    )


def touch_subjects(
    *,
    actor: User,
    lead_id: int | None = None,
    contact_id: int | None = None,
    opportunity_id: int | None = None,
) -> dict[str, Any]:
    """The lead, contact and opportunity a touch names, each one the actor may read (422
    naming the id field otherwise)."""
    errors = FieldErrors()
    found: dict[str, Any] = {}
    for name, model, pk in (
        ("lead", Lead, lead_id),
        ("contact", Contact, contact_id),
        ("opportunity", Opportunity, opportunity_id),
    ):
        if pk is None:
            continue
        found[name] = access.restrict(model.objects.all(), actor).filter(pk=pk).first()
        if found[name] is None:
            errors.add(f"{name}_id", f"No {name} you may see with this id.")
    errors.raise_if_any()
    return found


@dataclass(frozen=True)
class Figures:
    currency: str
    budget: Decimal
    actual_cost: Decimal
    members: dict[str, int]
    leads_sourced: int
    opportunities_sourced: int
    customers: int
    revenue: dict[str, Decimal]
    roi: dict[str, Decimal | None]
    cost_per_lead: Decimal | None
    cost_per_customer: Decimal | None
    unconverted: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    """numerator / denominator to 4 places, None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        RATIO_PLACES, rounding=ROUND_HALF_UP
    )


def roi(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """(revenue - cost) / cost; None when nothing was spent (never a division by zero)."""
    return ratio(revenue - cost, cost)


def per(cost: Decimal, count: int, currency: str) -> Decimal | None:
    """Cost per lead or customer in money; None when there are none."""
    return round_money(cost / count, currency) if count else None


def campaign_figures(*, campaign: Campaign) -> Figures:
    """Budget against actual cost, members by status, sourced leads and deals, and the won
    revenue credited under each attribution model with its ROI."""
    currency = base_currency()
    cost = campaign_costs(campaign=campaign).aggregate(total=Coalesce(Sum("amount"), ZERO))
    actual = round_money(Decimal(cost["total"]), currency)
    by_status = dict.fromkeys(MemberStatus.values, 0)
    for status, count in (
        CampaignMember.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_status[status] = count
    leads = Lead.objects.filter(source_campaign=campaign).count()
    deals = Opportunity.objects.filter(campaign=campaign).count()
    result = attribution.attribute(campaign_ids=[campaign.pk])
    credit = result.credits.get(campaign.pk, attribution.Credit())
    revenue = credit.by_model()
    customers = len(credit.customers)
    return Figures(
        currency=currency,
        budget=round_money(Decimal(campaign.budget), currency),
        actual_cost=actual,
        members=by_status,
        leads_sourced=leads,
        opportunities_sourced=deals,
        customers=customers,
        revenue=revenue,
        roi={name: roi(value, actual) for name, value in revenue.items()},
        cost_per_lead=per(actual, leads, currency),
        cost_per_customer=per(actual, customers, currency),
        unconverted=result.unconverted,
    )
