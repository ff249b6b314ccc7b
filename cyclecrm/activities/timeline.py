"""Reads for interactions and the omnichannel timeline, always starting from the permission gate.

A record's timeline is the interactions linked to it that the reader may see, newest first
(`occurred_at`, then id, both descending: the keyset the (link, occurred_at, id) indexes serve).
An account's timeline also holds the interactions of its contacts. The record itself must be
visible to the reader (its `<entity>_get` selector is called first), else 404.
"""

from typing import Any

from django.db.models import Model, Prefetch, Q, QuerySet

from cyclecrm.activities.filters import InteractionFilters
from cyclecrm.activities.models import Interaction, InteractionAttachment
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import Page, orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User

INTERACTION_ORDERINGS = orderings_with_reverse(
    {
        "occurred_at": ("occurred_at", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
    }
)
DEFAULT_ORDERING = "-occurred_at"
TIMELINE_PAGE_SIZE = 20
# The record kinds a timeline is shown for, by the name of the interaction's link field.
TIMELINE_LINKS = ("contact", "account", "lead", "opportunity", "case")
# `tracking`: the open/click row of a tracked e-mail (integrations), shown on its entry.
_RELATED = ("owner", "contact", "account", "lead", "opportunity", "case", "tracking")


def _with_related(queryset: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return queryset.select_related(*_RELATED).prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch("attachments", queryset=InteractionAttachment.objects.order_by("id")),
        Prefetch("attendees", queryset=Contact.objects.order_by("last_name", "first_name", "id")),
    )


def interaction_list(
    *,
    actor: User,
    filters: InteractionFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Interaction]:
    queryset = access.restrict(Interaction.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    if custom:
        queryset = queryset.filter(custom_filter_q(Interaction.record_type, custom))
    return _with_related(queryset)


def interaction_get(*, actor: User, pk: Any, action: str = Action.READ) -> Interaction:
    queryset = access.restrict(Interaction.objects.all(), actor, action)
    interaction = (
        _with_related(queryset.select_related("created_by", "updated_by")).filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if interaction is None:
        raise NotFound("No interaction with this id.")
    return interaction


def link_name(record: Model) -> str:
    """`contact`, `account`, ... : the interaction field that links to this kind of record."""
    name = record._meta.model_name
    if name not in TIMELINE_LINKS:
        raise ValueError(f"No timeline for {name} records.")
    return name


def timeline_q(record: Model) -> Q:
    """The interactions on this record's timeline (before the permission gate)."""
    name = link_name(record)
    condition = Q(**{f"{name}_id": record.pk})
    if isinstance(record, Account):
        # Interactions of the account's contacts, also when logged before the contact joined it.
        contacts = Contact.objects.filter(account_id=record.pk).values("pk")
        condition |= Q(contact_id__in=contacts)
    return condition


def timeline_list(
    *, actor: User, record: Model, channels: list[str] | None = None
) -> QuerySet[Interaction]:
    """The timeline of a record the caller has already fetched through its `_get` selector."""
    queryset = access.restrict(Interaction.objects.filter(timeline_q(record)), actor)
    if channels:
        queryset = queryset.filter(channel__in=channels)
    return _with_related(queryset)


def timeline_page(
    *,
    actor: User,
    record: Model,
    channels: list[str] | None = None,
    cursor: str | None = None,
    limit: int = TIMELINE_PAGE_SIZE,
) -> Page:
    """One page of the timeline, newest first; `next_cursor` continues it."""
    return paginate(
        timeline_list(actor=actor, record=record, channels=channels),
        orderings=INTERACTION_ORDERINGS,
        ordering=DEFAULT_ORDERING,
        default_ordering=DEFAULT_ORDERING,
        limit=limit,
        cursor=cursor,
    )


def visible_ids(actor: User, model: type[Model], ids: set[int]) -> set[int]:
    """Which of these records the actor may read: one query for any number."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    return set(
        access.restrict(model.objects.filter(pk__in=ids), actor).values_list("pk", flat=True)
    )
