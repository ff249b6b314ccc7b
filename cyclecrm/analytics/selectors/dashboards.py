"""Reads for the dashboards: each user's pinned KPIs and the filter bar's choices (only
records the user may read)."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.analytics.models import PinnedKpi
from cyclecrm.campaigns.models import Campaign
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Team, User
from cyclecrm.pipeline.models import Pipeline
from cyclecrm.segments.models import Segment

OPTION_LIMIT = 200


def pin_list(*, actor: User) -> QuerySet[PinnedKpi]:
    """The actor's own pins, in their home order (pins are personal: nobody else's)."""
    return PinnedKpi.objects.filter(user=actor).order_by("position", "id")


def pin_get(*, actor: User, pk: Any) -> PinnedKpi:
    pin = pin_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if pin is None:
        raise NotFound("No pinned KPI with this id.")
    return pin


def filter_choices(*, actor: User) -> dict[str, list[tuple[int, str]]]:
    """The filter bar's selects: (id, name) of the teams, users, pipelines, campaigns and
    segments the actor may read, one query each."""
    return {
        "team": _pairs(access.restrict(Team.objects.all(), actor), "name"),
        "owner": _pairs(
            access.restrict(User.objects.filter(is_active=True), actor), "username", "first_name"
        ),
        "pipeline": _pairs(access.restrict(Pipeline.objects.all(), actor), "name"),
        "campaign": _pairs(access.restrict(Campaign.objects.all(), actor), "name"),
        "segment": _pairs(access.restrict(Segment.objects.all(), actor), "name"),
    }


def _pairs(queryset: QuerySet, field: str, *more: str) -> list[tuple[int, str]]:
    fields = ("pk", field, *more)
    rows = queryset.order_by(field, "pk").values_list(*fields)[:OPTION_LIMIT]
    if field == "username":
        return [(pk, f"{first} ({name})" if first else name) for pk, name, first in rows]
    return [(row[0], row[1]) for row in rows]


def pin_key(metric: str, options: dict[str, Any], chart: str | None = None) -> tuple:
    """What makes two panels the same pin: metric, chart and grouping."""
    return (
        metric,
        chart or options.get("chart"),
        options.get("group_by") or None,
        options.get("split_by") or None,
    )


def pin_keys(*, actor: User) -> dict[tuple, int]:
    """{pin_key: pin id} of the actor's pins, so a dashboard marks pinned panels (one query)."""
    return {pin_key(pin.metric, pin.options): pin.pk for pin in pin_list(actor=actor)}
