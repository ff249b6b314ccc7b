"""Reads for accounts and contacts, always starting from the permission gate."""

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from cyclecrm.contacts.filters import AccountFilters, ContactFilters
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User

ACCOUNT_ORDERINGS = orderings_with_reverse(
    {
        "name": ("name", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
        "domain": ("domain", "id"),
    }
)
CONTACT_ORDERINGS = orderings_with_reverse(
    {
        "name": ("last_name", "first_name", "id"),
        "first_name": ("first_name", "id"),
        "email": ("email", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
    }
)


def _with_tags(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def account_list(
    *,
    actor: User,
    filters: AccountFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Account]:
    queryset = access.restrict(Account.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    if custom:
        queryset = queryset.filter(custom_filter_q(Account.record_type, custom))
    return _with_tags(queryset.select_related("owner", "team", "parent"))


def account_get(*, actor: User, pk: Any, action: str = Action.READ) -> Account:
    queryset = _with_tags(
        access.restrict(Account.objects.all(), actor, action).select_related(
            "owner", "team", "parent", "created_by", "updated_by"
        )
    )
    account = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if account is None:
        raise NotFound("No account with this id.")
    return account


def account_contacts(*, actor: User, account: Account) -> QuerySet[Contact]:
    """The account's contacts the actor may see (a related list must not leak)."""
    return contact_list(actor=actor).filter(account=account)


def account_subsidiaries(*, actor: User, account: Account) -> QuerySet[Account]:
    return account_list(actor=actor).filter(parent=account)


def account_stats(*, actor: User, account: Account) -> dict[str, int]:
    return contact_list(actor=actor).filter(account=account).aggregate(contacts=Count("id"))


def contact_list(
    *,
    actor: User,
    filters: ContactFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Contact]:
    queryset = access.restrict(Contact.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    if custom:
        queryset = queryset.filter(custom_filter_q(Contact.record_type, custom))
    return _with_tags(queryset.select_related("owner", "team", "account"))


def contact_get(*, actor: User, pk: Any, action: str = Action.READ) -> Contact:
    queryset = _with_tags(
        access.restrict(Contact.objects.all(), actor, action).select_related(
            "owner", "team", "account", "created_by", "updated_by"
        )
    )
    contact = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact
