"""Reads of this area: full exports, the calendar feed's owner and its tasks and meetings."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from cyclecrm.activities.models import Channel, Interaction, Task, TaskStatus
from cyclecrm.core.errors import NotFound
from cyclecrm.dataquality.interchange.services import require_admin
from cyclecrm.dataquality.models import CalendarFeed, FullExport
from cyclecrm.identity import access
from cyclecrm.identity.models import User

RECENT_EXPORTS = 20
# The feed holds meetings from this far back on (calendars keep what they have seen).
FEED_PAST = dt.timedelta(days=90)


def full_export_list(*, actor: User) -> QuerySet[FullExport]:
    require_admin(actor)
    return FullExport.objects.select_related("created_by").order_by("-created_at", "-id")[
        :RECENT_EXPORTS
    ]


def full_export_get(*, actor: User, pk: Any) -> FullExport:
    require_admin(actor)
    export = FullExport.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if export is None:
        raise NotFound("No full export with this id.")
    return export


def feed_user(key: str) -> User | None:
    """The active user whose feed key this is, or None (unknown, revoked or deactivated)."""
    feed = CalendarFeed.objects.select_related("user").filter(key=key).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def feed_tasks(*, user: User) -> QuerySet[Task]:
    """The user's own tasks with a due date that are not cancelled."""
    queryset = access.restrict(Task.objects.filter(owner=user), user)
    return (
        queryset.filter(due_at__isnull=False)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("due_at", "id")
    )


def feed_meetings(*, user: User) -> QuerySet[Interaction]:
    """The user's meetings from FEED_PAST ago on."""
    since = timezone.now() - FEED_PAST
    queryset = access.restrict(
        Interaction.objects.filter(owner=user, channel=Channel.MEETING), user
    )
    return queryset.filter(occurred_at__gte=since).order_by("occurred_at", "id")
