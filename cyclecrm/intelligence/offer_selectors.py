"""Reads of the offers (next products to offer) of one contact or one account, through the
permission gate: whoever may not read the contact or account gets `NotFound`, the same
answer as for one that does not exist."""

from django.db.models import QuerySet

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.intelligence.models import Offer


def _visible(queryset: QuerySet[Offer]) -> QuerySet[Offer]:
    # A product deactivated since the last run is not offered any more.
    return queryset.filter(product__is_active=True).select_related("product").order_by("rank", "id")


def offers_for_contact(*, actor: User, contact: Contact) -> QuerySet[Offer]:
    """The contact's offers, best first, with their products."""
    if not access.can(actor, Action.READ, contact):
        raise NotFound("Contact not found.")
    return _visible(Offer.objects.filter(contact=contact))


def offers_for_account(*, actor: User, account: Account) -> QuerySet[Offer]:
    """The account's offers, best first, with their products."""
    if not access.can(actor, Action.READ, account):
        raise NotFound("Account not found.")
    return _visible(Offer.objects.filter(account=account))
