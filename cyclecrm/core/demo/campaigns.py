"""Demo step for campaigns: five campaigns of different types with cost entries, members,
sourced leads and touches on leads, contacts and won deals, so the campaign pages show real
attribution numbers (first touch, last touch, linear) and ROI."""

import datetime as dt
import random
from decimal import Decimal

from cyclecrm.campaigns.models import (
    Campaign,
    CampaignCost,
    CampaignMember,
    CampaignTouch,
    MemberStatus,
    TouchChannel,
)
from cyclecrm.campaigns.services.touches import person_key
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Opportunity, StageKind

# name, code, type, status, budget, [(category, amount)], touch channel
DEMO_CAMPAIGNS = [
    ("Spring webinar series", "spring-webinar", "webinar", "completed", "4000",
     [("tools", "600"), ("production", "1400")], TouchChannel.EVENT),
    ("Search ads Q2", "search-ads-q2", "ads", "active", "12000",
     [("media", "5200"), ("media", "3100"), ("fees", "900")], TouchChannel.AD_CLICK),
    ("Monthly newsletter", "newsletter", "email", "active", "1500",
     [("tools", "300")], TouchChannel.EMAIL_CLICK),
    ("Autumn trade fair", "trade-fair", "event", "planned", "20000",
     [("venue", "8000")], TouchChannel.EVENT),
    ("LinkedIn thought leadership", "linkedin-content", "social", "paused", "3000",
     [], TouchChannel.SOCIAL),
]  # fmt: skip
MEMBERS_PER_CAMPAIGN = 40
SOURCED_SHARE = 0.4  # of the demo leads, given a source campaign


def _touch(campaign: Campaign, at: dt.datetime, channel: str, **subject: int) -> CampaignTouch:
    return CampaignTouch(
        campaign=campaign,
        channel=channel,
        touched_at=at,
        day=at.astimezone(dt.UTC).date(),
        person_key=person_key(
            subject.get("lead_id"), subject.get("contact_id"), subject.get("opportunity_id")
        ),
        **subject,
    )


def _campaigns(context: DemoContext) -> list[tuple[Campaign, str]]:
    owner = context.users.get("marketer") or context.users.get("admin")
    today = context.now.date()
    built = []
    # Running the demo again replaces its campaigns (their costs, members and touches go too).
    Campaign.objects.filter(code__in=[row[1] for row in DEMO_CAMPAIGNS]).delete()
    for index, (name, code, kind, status, budget, costs, channel) in enumerate(DEMO_CAMPAIGNS):
        start = today - dt.timedelta(days=150 - index * 25)
        campaign = Campaign.objects.create(
            name=name, code=code, type=kind, status=status, budget=Decimal(budget),
            start_date=start, end_date=start + dt.timedelta(days=90), owner=owner,
            team=context.home_team.get(owner.pk) if owner else None, created_by=owner,
            goal="Generate qualified leads for the sales team.", target_leads=50,
        )  # fmt: skip
        CampaignCost.objects.bulk_create(
            CampaignCost(campaign=campaign, category=category, amount=Decimal(amount),
                         date=start + dt.timedelta(days=7 * n), created_by=owner)
            for n, (category, amount) in enumerate(costs)
        )  # fmt: skip
        built.append((campaign, channel))
    return built


def _members(campaigns: list, rng: random.Random, now: dt.datetime) -> int:
    ids = list(Contact.objects.order_by("id").values_list("id", flat=True))
    rows = []
    for campaign, _ in campaigns:
        for pk in rng.sample(ids, min(MEMBERS_PER_CAMPAIGN, len(ids))):
            status = rng.choices(MemberStatus.values, weights=[6, 3, 1])[0]
            rows.append(
                CampaignMember(
                    campaign=campaign, contact_id=pk, status=status,
                    responded_at=now if status != MemberStatus.SENT else None,
                    converted_at=now if status == MemberStatus.CONVERTED else None,
                )
            )  # fmt: skip
    CampaignMember.objects.bulk_create(rows)
    return len(rows)


def _leads(campaigns: list, rng: random.Random) -> list[CampaignTouch]:
    touches = []
    for pk, created in Lead.objects.order_by("id").values_list("id", "created_at"):
        if rng.random() >= SOURCED_SHARE:
            continue
        campaign, channel = rng.choice(campaigns)
        Lead.objects.filter(pk=pk).update(source_campaign=campaign)
        touches.append(_touch(campaign, created, TouchChannel.WEB_FORM, lead_id=pk))
        if channel != TouchChannel.WEB_FORM:
            touches.append(_touch(campaign, created - dt.timedelta(days=2), channel, lead_id=pk))
    return touches


def _deals(campaigns: list, rng: random.Random) -> list[CampaignTouch]:
    """One to three touches on every won deal's contact, before the close."""
    touches = []
    won = Opportunity.objects.filter(
        stage__kind=StageKind.WON, closed_at__isnull=False, contact__isnull=False
    ).values_list("id", "contact_id", "closed_at")
    for pk, contact_id, closed_at in won:
        picked = rng.sample(campaigns, rng.randint(1, 3))
        for step, (campaign, channel) in enumerate(picked):
            at = closed_at - dt.timedelta(days=60 - step * 15, hours=rng.randint(0, 23))
            touches.append(_touch(campaign, at, channel, contact_id=contact_id))
        Opportunity.objects.filter(pk=pk, campaign__isnull=True).update(campaign=picked[0][0])
    return touches


def build_campaigns(context: DemoContext) -> None:
    rng = context.rng("campaigns")
    campaigns = _campaigns(context)
    members = _members(campaigns, rng, context.now)
    touches = _leads(campaigns, rng) + _deals(campaigns, rng)
    CampaignTouch.objects.bulk_create(touches, ignore_conflicts=True)
    context.counts["campaigns"] = len(campaigns)
    context.counts["campaign members"] = members
    context.counts["campaign touches"] = len(touches)
