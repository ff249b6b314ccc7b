"""The campaigns card on lead and opportunity pages: the source campaign and every campaign
that touched the record (for a deal: also its converted lead and primary contact)."""

from typing import Any

from django import template

from cyclecrm.campaigns import selectors
from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Opportunity

register = template.Library()


@register.simple_tag(takes_context=True)
def campaign_card(context: template.Context, record: Any = None) -> dict[str, Any] | None:
    """None (nothing shown) for users who may not read campaigns."""
    user = context["request"].user
    if level(user, "campaign", Action.READ) == Level.NONE:
        return None
    if isinstance(record, Lead):
        touches = selectors.touches_of(actor=user, lead=record)
        source_id = record.source_campaign_id
    elif isinstance(record, Opportunity):
        touches = selectors.touches_of(actor=user, opportunity=record)
        source_id = record.campaign_id
    else:
        return None
    source = selectors.campaign_list(actor=user).filter(pk=source_id).first() if source_id else None
    return {"source": source, "touches": touches}
