"""Reads of the offers (next products to offer) of one contact or one account, through the
permission gate: whoever may not read the contact or account gets `NotFound`, the same
answer as for one that does not exist."""

from django.db.models import QuerySet

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.intelligence.models import Offer

# Offers are written top 5 per target; pages and the API show them all.
OFFERS_SHOWN = 5


def _visible(actor: User, queryset: QuerySet[Offer]) -> list[Offer]:
    """Best first, with products; none for a role that may not read products, and none of a
    product deactivated since the last run."""
    if access.level(actor, "product", Action.READ) == Level.NONE:
        return []
    queryset = queryset.filter(product__is_active=True).select_related("product")
    return list(queryset.order_by("rank", "id")[:OFFERS_SHOWN])


def offers_for_contact(*, actor: User, contact: Contact) -> list[Offer]:
    """The contact's offers, best first, with their products."""
    if not access.can(actor, Action.READ, contact):
        raise NotFound("Contact not found.")
    return _visible(actor, Offer.objects.filter(contact=contact))


def offers_for_account(*, actor: User, account: Account) -> list[Offer]:
    """The account's offers, best first, with their products."""
    if not access.can(actor, Action.READ, account):
        raise NotFound("Account not found.")
    return _visible(actor, Offer.objects.filter(account=account))
