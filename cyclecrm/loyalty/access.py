"""Who may do what with loyalty data, in one place for the UI, the API and jobs.

A program is configuration with its own record type (`loyalty_program`). A member's statement,
points and redemptions belong to the contact: whoever may read the contact may read them. Acting
for a member (enrolling, redeeming, cancelling) needs edit rights on the contact or on the
program; adjusting points by hand needs edit rights on the program. Referrals are visible with
their referrer contact."""

from typing import Any

from django.db.models import Q, QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty.models import LoyaltyProgram, Member


def require_program(actor: Any, action: str, program: LoyaltyProgram) -> None:
    if access.can(actor, action, program):
        return
    if access.can(actor, Action.READ, program):
        raise Forbidden(f"You may not {action} this loyalty program.")
    raise NotFound("No loyalty program with this id.")


def visible_contact_q(actor: Any, prefix: str = "contact") -> Q | None:
    """The condition on `<prefix>` for contacts `actor` may read; None: every contact."""
    contacts = access.restrict(Contact.objects.all(), actor)
    if contacts.query.where is None or not contacts.query.where.children:
        return None
    return Q(**{f"{prefix}__in": contacts.values("pk")})


def restrict_to_contacts(queryset: QuerySet, actor: Any, prefix: str = "contact") -> QuerySet:
    """`queryset` rows whose `<prefix>` contact `actor` may read."""
    condition = visible_contact_q(actor, prefix)
    return queryset if condition is None else queryset.filter(condition)


def require_member_read(actor: Any, member: Member) -> None:
    if not access.can(actor, Action.READ, member.contact):
        raise NotFound("No loyalty member with this id.")


def require_member_act(actor: Any, member: Member) -> None:
    """Enrol, redeem, confirm or cancel for this member."""
    require_member_read(actor, member)
    if access.can(actor, Action.EDIT, member.contact) or access.can(
        actor, Action.EDIT, member.program
    ):
        return
    raise Forbidden("You may not act for this member: it needs edit rights on the contact.")


def require_points_adjust(actor: Any, member: Member) -> None:
    require_member_read(actor, member)
    if not access.can(actor, Action.EDIT, member.program):
        raise Forbidden("Adjusting points needs edit rights on the loyalty program.")
