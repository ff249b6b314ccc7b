"""`{% email_compose_card contact=... as card %}`: what the compose button on a record page
needs (see `integrations/_compose.html`)."""

from typing import Any

from django import template
from django.urls import reverse

from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level

register = template.Library()


@register.simple_tag(takes_context=True)
def email_compose_card(
    context: template.Context,
    contact: Any = None,
    lead: Any = None,
    opportunity: Any = None,
    case: Any = None,
) -> dict[str, Any] | None:
    """None when no record is given or the viewer may not log interactions."""
    request = context.get("request")
    actor = getattr(request, "user", None)
    given = [
        (kind, record)
        for kind, record in (
            ("contact", contact),
            ("lead", lead),
            ("opportunity", opportunity),
            ("case", case),
        )
        if record
    ]
    if len(given) != 1 or access.level(actor, "interaction", Action.CREATE) == Level.NONE:
        return None
    kind, record = given[0]
    return {
        "kind": kind,
        "record": record,
        "url": reverse("email_compose", args=[kind, record.pk]),
        "dialog_id": f"email-compose-{kind}-{record.pk}",
    }
