"""Reads for the directory (users, teams, roles, tags, custom field definitions), API tokens and
record shares, always starting from the permission gate."""

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from cyclecrm.core.db import search_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import CustomField, Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import (
    Action,
    ApiToken,
    RecordShare,
    Role,
    SecurityEvent,
    Team,
    User,
)

USER_ORDERINGS = orderings_with_reverse(
    {"username": ("username", "id"), "date_joined": ("date_joined", "id")}
)
USER_SEARCH_FIELDS = ("username", "first_name", "last_name", "email")
TEAM_ORDERINGS = orderings_with_reverse({"name": ("name", "id")})
ROLE_ORDERINGS = orderings_with_reverse({"name": ("name", "id")})
TAG_ORDERINGS = orderings_with_reverse({"name": ("name", "id")})
CUSTOM_FIELD_ORDERINGS = orderings_with_reverse(
    {"position": ("record_type", "position", "key", "id"), "key": ("key", "id")}
)
TOKEN_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})
SECURITY_EVENT_ORDERINGS = orderings_with_reverse({"at": ("at", "id")})


def _get(queryset: QuerySet, pk: Any, label: str) -> Any:
    """One row of an already restricted queryset; invisible and missing read the same."""
    row = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if row is None:
        raise NotFound(f"No {label} with this id.")
    return row


def user_list(
    *,
    actor: User,
    q: str | None = None,
    is_active: bool | None = None,
    team_id: int | None = None,
    role: str | None = None,
) -> QuerySet[User]:
    queryset = access.restrict(User.objects.all(), actor, Action.READ)
    if q:
        queryset = queryset.filter(search_q(q, USER_SEARCH_FIELDS))
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if team_id is not None:
        queryset = queryset.filter(teams__id=team_id)
    if role:
        queryset = queryset.filter(roles__name=role)
    return queryset.prefetch_related(
        Prefetch("roles", queryset=Role.objects.order_by("name")),
        Prefetch("teams", queryset=Team.objects.order_by("id")),
    )


def user_get(*, actor: User, pk: Any) -> User:
    return _get(user_list(actor=actor), pk, "user")


def user_me(*, actor: User) -> User:
    """The actor's own row: everyone may read themselves, whatever their user read level."""
    return _get(
        User.objects.prefetch_related(
            Prefetch("roles", queryset=Role.objects.order_by("name")),
            Prefetch("teams", queryset=Team.objects.order_by("id")),
        ),
        actor.pk,
        "user",
    )


def team_list(*, actor: User, q: str | None = None, parent_id: int | None = None) -> QuerySet[Team]:
    queryset = access.restrict(Team.objects.all(), actor, Action.READ)
    if q:
        queryset = queryset.filter(search_q(q, ("name",)))
    if parent_id is not None:
        queryset = queryset.filter(parent_id=parent_id)
    return queryset.annotate(
        member_count=Count("members", distinct=True),
        child_count=Count("children", distinct=True),
    ).prefetch_related(Prefetch("roles", queryset=Role.objects.order_by("name")))


def team_get(*, actor: User, pk: Any) -> Team:
    return _get(team_list(actor=actor), pk, "team")


def role_list(*, actor: User) -> QuerySet[Role]:
    return access.restrict(Role.objects.all(), actor, Action.READ)


def role_get(*, actor: User, pk: Any) -> Role:
    return _get(role_list(actor=actor), pk, "role")


def tag_list(*, actor: User, q: str | None = None) -> QuerySet[Tag]:
    queryset = access.restrict(Tag.objects.all(), actor, Action.READ)
    if q:
        queryset = queryset.filter(search_q(q, ("name",)))
    return queryset


def tag_get(*, actor: User, pk: Any) -> Tag:
    return _get(tag_list(actor=actor), pk, "tag")


def custom_field_list(
    *, actor: User, record_type: str | None = None, is_active: bool | None = None
) -> QuerySet[CustomField]:
    queryset = access.restrict(CustomField.objects.all(), actor, Action.READ)
    if record_type:
        queryset = queryset.filter(record_type=record_type)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return queryset


def custom_field_get(*, actor: User, pk: Any) -> CustomField:
    return _get(custom_field_list(actor=actor), pk, "custom field")


def token_list(*, actor: User, user_id: int | None = None) -> QuerySet[ApiToken]:
    """Tokens the actor may see: their own, or everyone's at the `all` level."""
    queryset = access.restrict(ApiToken.objects.all(), actor, Action.READ)
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    return queryset


def token_get(*, actor: User, pk: Any) -> ApiToken:
    return _get(token_list(actor=actor), pk, "token")


def security_event_list(
    *,
    actor: User,
    kind: str | None = None,
    user_id: int | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[SecurityEvent]:
    """The security log as far as the actor may read it (administrators: all of it). Each
    filter matches an indexed column; `username` is the name as typed or stored."""
    queryset = access.restrict(SecurityEvent.objects.all(), actor, Action.READ)
    if kind:
        queryset = queryset.filter(kind=kind)
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    if username:
        queryset = queryset.filter(username=username)
    if ip_address:
        queryset = queryset.filter(ip_address=ip_address)
    if since is not None:
        queryset = queryset.filter(at__gte=since)
    if until is not None:
        queryset = queryset.filter(at__lt=until)
    return queryset.select_related("actor")


def share_list(*, actor: User, instance: Any) -> QuerySet[RecordShare]:
    """Shares of a record. The caller fetched `instance` through a selector, so the actor may
    read it; the grantees are then no secret to them."""
    if not access.can(actor, Action.READ, instance):
        return RecordShare.objects.none()
    return RecordShare.objects.filter(
        Q(record_type=instance.record_type) & Q(object_id=instance.pk)
    ).order_by("id")


def share_get(*, actor: User, instance: Any, pk: Any) -> RecordShare:
    return _get(share_list(actor=actor, instance=instance), pk, "share")
