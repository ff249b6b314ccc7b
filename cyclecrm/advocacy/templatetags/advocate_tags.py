"""The contact page's advocacy card: the stored score and its components."""

from typing import Any

from django import template

from cyclecrm.advocacy.models import AdvocateScore
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level

register = template.Library()


@register.simple_tag(takes_context=True)
def advocate_card(context: template.Context, contact: Any) -> dict[str, Any]:
    """The contact page already checked that the viewer may read `contact`; one query."""
    user = context["request"].user
    return {
        "score": AdvocateScore.objects.filter(contact=contact).first(),
        "can_log": access.level(user, "interaction", Action.CREATE) != Level.NONE,
    }
