"""The loyalty panel of the contact page: each membership's statement with its latest tier
changes and a "Redeem" action, and "Enrol in <program>" buttons for programs the contact is not
in yet."""

from typing import Any

from django import template

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import CrmError
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty.access import require_member_act
from cyclecrm.loyalty.reward_selectors import contact_memberships, program_list, reward_list
from cyclecrm.loyalty.statement import statement_for

register = template.Library()
TIER_CHANGES_SHOWN = 3


@register.simple_tag(takes_context=True)
def contact_loyalty(context: template.Context, contact: Any) -> dict[str, Any]:
    if not isinstance(contact, Contact):
        return {}
    user = context["request"].user
    if not access.can(user, Action.READ, contact):
        return {}
    members = contact_memberships(actor=user, contact=contact)
    enrolled = {member.program_id for member in members}
    may_edit_contact = access.can(user, Action.EDIT, contact)
    open_programs = [
        program
        for program in program_list(actor=user).filter(is_active=True).order_by("name", "id")
        if program.pk not in enrolled
        and (may_edit_contact or access.can(user, Action.EDIT, program))
    ]
    return {
        "memberships": [_membership(user, member) for member in members],
        "open_programs": open_programs,
    }


def _membership(user: Any, member: Any) -> dict[str, Any]:
    try:
        require_member_act(user, member)
        can_act = True
    except CrmError:
        can_act = False
    rewards = []
    if can_act:
        rewards = list(
            reward_list(actor=user, program_id=member.program_id, available=True).order_by(
                "points_cost", "id"
            )
        )
    return {
        "member": member,
        "statement": statement_for(member),
        "can_act": can_act,
        "rewards": rewards,
        "tier_changes": list(
            member.tier_changes.select_related("from_tier", "to_tier").order_by(
                "-changed_at", "-id"
            )[:TIER_CHANGES_SHOWN]
        ),
    }
