"""Where leads come from: a capture-form submission naming a campaign (by `utm_campaign` or a
`campaign` parameter) makes that campaign the lead's source and records a web-form touch."""

from typing import Any

from django.utils.text import slugify

from cyclecrm.campaigns.models import Campaign, CampaignTouch, TouchChannel
from cyclecrm.campaigns.services.touches import record_touch
from cyclecrm.leads.models import Lead


def campaign_for_code(value: Any) -> Campaign | None:
    """The campaign a submitted value names: its code (case and spacing ignored) or its id."""
    text = str(value or "").strip()
    if not text or len(text) > 200:
        return None
    if text.isdigit():
        return Campaign.objects.filter(pk=int(text)).first()
    code = slugify(text)
    return Campaign.objects.filter(code=code).first() if code else None


def capture_attribute(
    *, lead: Lead, campaign: str | None, utm_campaign: str | None
) -> CampaignTouch | None:
    """Called by capture forms after a submission created or updated `lead`, inside its
    transaction. Sets the lead's source campaign when it has none (first touch wins) and
    records the touch; returns None when the submission names no known campaign."""
    found = campaign_for_code(campaign) or campaign_for_code(utm_campaign)
    if found is None:
        return None
    if lead.source_campaign_id is None:
        Lead.objects.filter(pk=lead.pk, source_campaign__isnull=True).update(source_campaign=found)
        lead.source_campaign = found
    return record_touch(campaign=found, lead=lead, channel=TouchChannel.WEB_FORM)
