from typing import Any

from django import template

from cyclecrm.contacts.models import Contact
from cyclecrm.feedback.selectors import contact_latest_scores

register = template.Library()

BADGE_COLORS = {
    "promoter": "success",
    "satisfied": "success",
    "passive": "secondary",
    "neutral": "secondary",
    "detractor": "danger",
    "unsatisfied": "danger",
}


@register.simple_tag(takes_context=True)
def latest_scores(context: template.Context, contact: Any) -> list[dict[str, Any]]:
    """The contact's latest NPS and CSAT answers, for the contact page card."""
    if not isinstance(contact, Contact):
        return []
    user = context["request"].user
    return [
        {
            "kind": kind.upper(),
            "response": response,
            "color": BADGE_COLORS.get(response.category, "secondary"),
        }
        for kind, response in contact_latest_scores(actor=user, contact=contact).items()
    ]


@register.filter
def category_color(category: str) -> str:
    return BADGE_COLORS.get(category, "secondary")
