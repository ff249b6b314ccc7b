"""The privacy card of contact pages: consent history, record consent, export and erase."""

from typing import Any

from django import template

from cyclecrm.dataquality.models import ConsentPurpose
from cyclecrm.dataquality.privacy import selectors
from cyclecrm.dataquality.privacy.services import can_erase
from cyclecrm.identity import access
from cyclecrm.identity.models import Action

register = template.Library()

PANEL_ROWS = 10


@register.simple_tag(takes_context=True)
def contact_privacy(context: template.Context, contact: Any) -> dict[str, Any] | None:
    """The latest consent records and what the viewer may do; the caller shows the contact, so
    the viewer reads it."""
    if contact is None:
        return None
    user = context["request"].user
    rows = list(selectors.consent_list(actor=user, contact=contact)[: PANEL_ROWS + 1])
    return {
        "rows": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
        "purposes": ConsentPurpose.choices,
        "can_edit": access.can(user, Action.EDIT, contact),
        "can_export": access.can(user, Action.EXPORT, contact),
        "can_export_all": not selectors.subject_access_unreadable(user),
        "can_erase": can_erase(user),
    }
