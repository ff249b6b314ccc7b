"""Reads for the advocacy view: advocates ranked by score, only contacts the reader may read."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from cyclecrm.advocacy.advocates import score_breakdown
from cyclecrm.advocacy.models import AdvocateScore
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import Ordering
from cyclecrm.identity import access
from cyclecrm.identity.access import access_for
from cyclecrm.loyalty.access import restrict_to_contacts

# Keyset order on the index (-score, -id): best first.
ADVOCATE_ORDERINGS = {"-score": Ordering(("score", "id"), descending=True)}
NAME_FIELDS = frozenset({"first_name", "last_name"})


@dataclass(frozen=True)
class AdvocateFilters:
    """The one filter definition of the advocate list (API query and page form)."""

    min_score: float | None = None
    account_id: int | None = None
    owner_id: int | None = None


def advocate_list(*, actor: Any, filters: AdvocateFilters | None = None) -> QuerySet:
    """Score rows of contacts `actor` may read, with contact, account and owner joined."""
    filters = filters or AdvocateFilters()
    rows = AdvocateScore.objects.select_related("contact", "contact__account", "contact__owner")
    rows = restrict_to_contacts(rows, actor)
    if filters.min_score is not None:
        rows = rows.filter(score__gte=filters.min_score)
    if filters.account_id is not None:
        rows = rows.filter(contact__account_id=filters.account_id)
    if filters.owner_id is not None:
        rows = rows.filter(contact__owner_id=filters.owner_id)
    return rows


@dataclass(frozen=True)
class AdvocateDetail:
    contact: Contact
    score: AdvocateScore | None  # None: the contact scores zero
    breakdown: list[dict[str, Any]]


def visible_contact(*, actor: Any, contact_id: int) -> Contact:
    contact = (
        access.restrict(Contact.objects.select_related("account", "owner"), actor)
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact


def advocate_get(*, actor: Any, contact_id: int) -> AdvocateDetail:
    """A contact's score row and what each signal adds now; 404 for a contact not visible."""
    contact = visible_contact(actor=actor, contact_id=contact_id)
    row = AdvocateScore.objects.filter(contact=contact).first()
    return AdvocateDetail(contact, row, score_breakdown(contact=contact))


def contact_name(actor: Any, contact: Contact) -> str | None:
    """The contact's display name, or None when the name fields are hidden from `actor`."""
    if NAME_FIELDS & access_for(actor).hidden_fields(Contact.record_type):
        return None
    return str(contact)
