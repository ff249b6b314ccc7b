"""The referral panel of the contact page: {% contact_referrals contact as card %}."""

from typing import Any

from django import template

from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty.referral_selectors import contact_referral_summary
from cyclecrm.loyalty.referrals import referral_link

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_referrals(context: Any, contact: Any) -> dict[str, Any]:
    actor = context["request"].user
    card = contact_referral_summary(actor=actor, contact=contact)
    card["link"] = referral_link(card["code"]) if card["code"] else ""
    card["can_create"] = card["code"] is None and access.can(actor, Action.EDIT, contact)
    return card
