"""Reads the web layer needs beyond one domain's records: directory choices for selects,
the shares of a record and the user's saved views. Each starts from the permission gate or
from the acting user's own rows."""

from typing import Any

from django.db.models import Q, QuerySet

from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, RecordShare, Team, User
from cyclecrm.web.models import SavedView


def user_choices(*, actor: User) -> QuerySet[User]:
    """Active users the actor may see, for owner filters and share targets."""
    return access.restrict(User.objects.filter(is_active=True), actor).order_by(
        "first_name", "last_name", "username"
    )


def team_choices(*, actor: User) -> QuerySet[Team]:
    return access.restrict(Team.objects.all(), actor).order_by("name")


def tag_names(*, actor: User, limit: int = 300) -> list[str]:
    queryset = access.restrict(Tag.objects.all(), actor).order_by("name")
    return list(queryset.values_list("name", flat=True)[:limit])


def assignable_owners(*, actor: User, type_key: str) -> QuerySet[User]:
    """Users the actor may give a record of this type to (the rule of `can_assign_owner`,
    as a queryset so a select can list them in one query)."""
    rights = access.access_for(actor)
    create_level = rights.level(type_key, Action.CREATE)
    users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    if create_level == Level.ALL:
        return users
    if create_level == Level.TEAM:
        return users.filter(Q(pk=actor.pk) | Q(teams__in=rights.scope_team_ids)).distinct()
    if create_level == Level.OWN:
        return users.filter(pk=actor.pk)
    return users.none()


def share_list(*, actor: User, instance: Any) -> QuerySet[RecordShare]:
    """Shares of a record; only someone who may edit the record may see who it is shared with."""
    if not access.can(actor, Action.EDIT, instance):
        return RecordShare.objects.none()
    return (
        RecordShare.objects.filter(record_type=instance.record_type, object_id=instance.pk)
        .select_related("user", "team")
        .order_by("team__name", "user__username", "id")
    )


def share_get(*, actor: User, instance: Any, pk: Any) -> RecordShare:
    share = share_list(actor=actor, instance=instance).filter(pk=pk).first()
    if share is None:
        raise NotFound("No such share.")
    return share


def saved_view_list(*, actor: User, record_type: str) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=actor, record_type=record_type)


def saved_view_get(*, actor: User, pk: Any) -> SavedView:
    """One of the actor's own saved views; anyone else's is indistinguishable from missing."""
    view = SavedView.objects.filter(user=actor, pk=pk).first() if str(pk).isdigit() else None
    if view is None:
        raise NotFound("No saved view with this id.")
    return view
