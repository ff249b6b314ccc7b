"""Touches: a campaign reaching a lead, a contact or a deal. `record_touch` is the one entry point
for every channel (web forms, e-mail clicks from mailings, automation, imports, people)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from cyclecrm.campaigns.models import (
    Campaign,
    CampaignMember,
    CampaignTouch,
    MemberStatus,
    TouchChannel,
)
from cyclecrm.campaigns.services.campaigns import require_edit
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Opportunity


def person_key(lead_id: int | None, contact_id: int | None, opportunity_id: int | None) -> str:
    return f"l{lead_id or ''}:c{contact_id or ''}:o{opportunity_id or ''}"


def record_touch(
    *,
    campaign: Campaign,
    lead: Lead | None = None,
    contact: Contact | None = None,
    opportunity: Opportunity | None = None,
    channel: str,
    at: dt.datetime | None = None,
    actor: User | None = None,
) -> CampaignTouch:
    """Record that `campaign` touched a lead, contact and/or opportunity through `channel`.

    Idempotent per (campaign, the lead/contact/opportunity given, channel, UTC day of `at`):
    recording the same touch twice on a day returns the first one unchanged, so a job may retry
    and every click of a day counts once. Jobs call it without `actor` (the caller decided);
    people and API clients pass themselves and need the right to edit the campaign."""
    if actor is not None:
        require_edit(actor, campaign)
    errors = FieldErrors()
    if lead is None and contact is None and opportunity is None:
        errors.add("lead_id", "Give a lead, a contact or an opportunity.")
    if channel not in TouchChannel.values:
        errors.add("channel", f"Use one of {', '.join(TouchChannel.values)}.")
    errors.raise_if_any()
    at = at or timezone.now()
    key = person_key(
        lead.pk if lead else None,
        contact.pk if contact else None,
        opportunity.pk if opportunity else None,
    )
    lookup = {
        "campaign": campaign,
        "person_key": key,
        "channel": channel,
        "day": at.astimezone(dt.UTC).date(),
    }
    existing = CampaignTouch.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    touch = CampaignTouch(
        **lookup, lead=lead, contact=contact, opportunity=opportunity, touched_at=at
    )
    touch.created_by = actor
    try:
        with transaction.atomic():
            touch.save()
    except IntegrityError:  # recorded concurrently: the first one stands
        return CampaignTouch.objects.get(**lookup)
    return touch


def conversion_carry_over(*, lead: Lead, contact: Contact, opportunity: Opportunity | None) -> None:
    """After a lead converts: its touches also belong to the contact and the new deal, the deal
    keeps the lead's source campaign, and the lead's memberships count as converted. Runs in
    the conversion's transaction (called by leads.services.conversion)."""
    touches = CampaignTouch.objects.filter(lead=lead)
    touches.filter(contact__isnull=True).update(contact=contact)
    if opportunity is not None:
        touches.filter(opportunity__isnull=True).update(opportunity=opportunity)
        if lead.source_campaign_id and opportunity.campaign_id is None:
            Opportunity.objects.filter(pk=opportunity.pk).update(campaign=lead.source_campaign_id)
            opportunity.campaign_id = lead.source_campaign_id
    now = timezone.now()
    members = CampaignMember.objects.filter(lead=lead).exclude(status=MemberStatus.CONVERTED)
    members.filter(responded_at__isnull=True).update(responded_at=now)
    members.update(status=MemberStatus.CONVERTED, converted_at=now)
