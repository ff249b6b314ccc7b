"""Reads for program configuration and members. Programs go through the record gate
(`access.restrict`); members and their entries are visible with their contact
(`loyalty.access.restrict_to_contacts`)."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.loyalty.access import require_member_read, restrict_to_contacts
from cyclecrm.loyalty.models import EarningRule, LoyaltyProgram, Member, PointsEntry, Tier

NO_TIER = "none"


def _pk(value: Any) -> int | None:
    return int(value) if str(value).isdigit() and int(value) < 2**63 else None


def program_list(*, actor: User, action: str = Action.READ) -> QuerySet[LoyaltyProgram]:
    return access.restrict(LoyaltyProgram.objects.all(), actor, action)


def program_get(*, actor: User, pk: Any, action: str = Action.READ) -> LoyaltyProgram:
    program = None
    if _pk(pk) is not None:
        program = program_list(actor=actor, action=action).filter(pk=_pk(pk)).first()
    if program is None:
        raise NotFound("No loyalty program with this id.")
    return program


def rule_get(*, program: LoyaltyProgram, pk: Any) -> EarningRule:
    rule = program.rules.filter(pk=_pk(pk)).first() if _pk(pk) else None
    if rule is None:
        raise NotFound("No earning rule with this id in this program.")
    return rule


def tier_get(*, program: LoyaltyProgram, pk: Any) -> Tier:
    tier = program.tiers.filter(pk=_pk(pk)).first() if _pk(pk) else None
    if tier is None:
        raise NotFound("No tier with this id in this program.")
    return tier


def member_list(
    *,
    actor: User,
    program: LoyaltyProgram,
    tier: str | None = None,
    min_balance: int | None = None,
    max_balance: int | None = None,
) -> QuerySet[Member]:
    """Members whose contact `actor` may read, filtered by tier id (or `none`) and balance."""
    members = Member.objects.filter(program=program)
    if tier == NO_TIER:
        members = members.filter(tier__isnull=True)
    elif tier:
        if _pk(tier) is None:
            raise ValidationFailed(fields={"tier": ["A tier id, or 'none'."]})
        members = members.filter(tier_id=_pk(tier))
    if min_balance is not None:
        members = members.filter(balance__gte=min_balance)
    if max_balance is not None:
        members = members.filter(balance__lte=max_balance)
    members = restrict_to_contacts(members, actor)
    return members.select_related("contact", "tier")


def member_get(*, actor: User, pk: Any) -> Member:
    member = None
    if _pk(pk) is not None:
        member = Member.objects.select_related("program", "contact", "tier").filter(pk=_pk(pk))
        member = member.first()
    if member is None:
        raise NotFound("No loyalty member with this id.")
    require_member_read(actor, member)
    return member


def entry_list(*, member: Member) -> QuerySet[PointsEntry]:
    """The member's ledger (the caller has read the member through `member_get`)."""
    return member.entries.select_related("created_by")


def member_of_contact(*, actor: User, contact_id: Any, program_id: int | None = None) -> Member:
    """The contact's membership: of `program_id` when given, else of the only program the
    contact belongs to (with several, the lowest-id active one). 404 naming what is missing."""
    contact = Contact.objects.filter(pk=_pk(contact_id)).first() if _pk(contact_id) else None
    if contact is None or not access.can(actor, Action.READ, contact):
        raise NotFound("No contact with this id.")
    memberships = Member.objects.filter(contact=contact).select_related("program", "tier")
    if program_id is not None:
        memberships = memberships.filter(program_id=program_id)
    member = memberships.order_by("-program__is_active", "program_id").first()
    if member is None:
        where = "this loyalty program" if program_id is not None else "any loyalty program"
        raise NotFound(f"The contact is not a member of {where}.")
    member.contact = contact
    return member


def member_find(*, program: LoyaltyProgram, contact: Contact) -> Member | None:
    """The contact's membership of `program`, if any (enrolment answers 200 instead of 201)."""
    return Member.objects.filter(program=program, contact=contact).first()
