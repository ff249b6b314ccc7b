"""Factories for campaign tests: plain ORM inserts (no rights), like the other apps'."""

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from cyclecrm.campaigns.models import Campaign, CampaignCost, CampaignTouch, TouchChannel
from cyclecrm.campaigns.services.touches import person_key
from cyclecrm.identity.models import User

_seq = itertools.count(1)


def make_campaign(owner: User | None = None, **fields: Any) -> Campaign:
    n = next(_seq)
    fields.setdefault("name", f"Campaign {n}")
    fields.setdefault("code", f"campaign-{n}")
    fields.setdefault("type", "email")
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Campaign.objects.create(owner=owner, team=team, created_by=owner, **fields)


def add_cost(campaign: Campaign, amount: str, **fields: Any) -> CampaignCost:
    return CampaignCost.objects.create(campaign=campaign, amount=Decimal(amount), **fields)


def touch(
    campaign: Campaign,
    at: dt.datetime,
    *,
    lead: Any = None,
    contact: Any = None,
    opportunity: Any = None,
    channel: str = TouchChannel.MANUAL,
) -> CampaignTouch:
    """A touch at `at` (idempotency key from the ids, so each call is a new row unless equal)."""
    return CampaignTouch.objects.create(
        campaign=campaign,
        lead=lead,
        contact=contact,
        opportunity=opportunity,
        channel=channel,
        touched_at=at,
        day=at.date(),
        person_key=person_key(
            lead.pk if lead else None,
            contact.pk if contact else None,
            opportunity.pk if opportunity else None,
        ),
    )
