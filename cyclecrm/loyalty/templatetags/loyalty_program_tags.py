"""`{% contact_tiers contact as memberships %}`: the contact's memberships with their tier and
latest tier changes, for the contact page panel (visible with the contact)."""

from typing import Any

from django import template
from django.db.models import Prefetch

from cyclecrm.contacts.models import Contact
from cyclecrm.loyalty.models import TierChange

register = template.Library()
CHANGES_SHOWN = 3


@register.simple_tag
def contact_tiers(contact: Contact) -> list[Any]:
    changes = TierChange.objects.select_related("from_tier", "to_tier").order_by(
        "-changed_at", "-id"
    )
    memberships = list(
        contact.loyalty_memberships.select_related("program", "tier")
        .prefetch_related(Prefetch("tier_changes", queryset=changes))
        .order_by("program__name", "id")
    )
    for member in memberships:
        member.recent_changes = list(member.tier_changes.all())[:CHANGES_SHOWN]
    return memberships
