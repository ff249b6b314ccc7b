"""`{% timeline_access kind record as timeline %}`: what the timeline panel of one record offers
the viewer (None when they may not read interactions)."""

from typing import Any

from django import template
from django.urls import reverse

from cyclecrm.activities.interaction_views import CHANNEL_ICONS, LOGGABLE
from cyclecrm.activities.models import Channel, Interaction
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_access(context: template.Context, kind: str, record: Any) -> dict[str, Any] | None:
    request = context.get("request")
    actor = getattr(request, "user", None)
    if record is None or access.level(actor, Interaction.record_type, Action.READ) == Level.NONE:
        return None
    can_log = access.level(actor, Interaction.record_type, Action.CREATE) != Level.NONE
    return {
        "id": f"timeline-{kind}-{record.pk}",
        "panel_url": reverse("timeline_panel", args=[kind, record.pk]),
        "log": [
            {
                "channel": channel,
                "label": Channel(channel).label,
                "icon": CHANNEL_ICONS[channel],
                "url": reverse("interaction_log", args=[kind, record.pk, channel]),
            }
            for channel in LOGGABLE
        ]
        if can_log
        else [],
    }
