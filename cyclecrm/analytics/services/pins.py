"""Writes for the dashboards: pinning a KPI panel to one's home page and unpinning it.

A pin stores the metric and the panel's settings (chart, grouping, range preset, filters); the
home page evaluates it for its owner at every visit, so it always shows current figures the
owner may see.
"""

from typing import Any

from django.db import transaction
from django.db.models import Max

from cyclecrm.analytics.forms import RANGES
from cyclecrm.analytics.kpis.definitions import CHARTS, FILTERS, GRAINS, metric_get
from cyclecrm.analytics.models import PinnedKpi
from cyclecrm.analytics.selectors.dashboards import pin_list
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.identity.models import User

MAX_PINS = 24


def pin_options(metric_name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The valid panel settings of a pin (field errors name `metric` or `options.<key>`)."""
    item = metric_get(metric_name)
    if item is None:
        raise ValidationFailed(fields={"metric": [f"There is no KPI named '{metric_name}'."]})
    errors: dict[str, list[str]] = {}
    group_by = raw.get("group_by") or None
    # Without a grouping there is one number to show, whatever the metric's usual chart.
    chart = raw.get("chart") or (item.chart if group_by else "number")
    if chart not in CHARTS:
        errors["options.chart"] = [f"Use one of: {', '.join(CHARTS)}."]
    if not item.accepts_group(group_by):
        errors["options.group_by"] = [f"{item.name} cannot be grouped by '{group_by}'."]
    split_by = raw.get("split_by") or None
    if split_by and (split_by not in item.splits or group_by not in GRAINS):
        errors["options.split_by"] = [f"{item.name} cannot be split by '{split_by}' here."]
    preset = raw.get("range") or "last_30_days"
    if preset not in RANGES or preset == "custom":
        presets = ", ".join(k for k in RANGES if k != "custom")
        errors["options.range"] = [f"Use a preset: {presets}."]
    filters = {}
    for name in FILTERS:
        value = raw.get(name)
        if value in (None, ""):
            continue
        if not str(value).isdigit() or not 0 < int(value) < 2**63:
            errors[f"options.{name}"] = [f"'{value}' is not a record id."]
        else:
            filters[name] = int(value)
    if errors:
        raise ValidationFailed("The pinned KPI is not valid.", fields=errors)
    return {
        "chart": chart,
        "group_by": group_by,
        "split_by": split_by,
        "range": preset,
        "compare": bool(raw.get("compare")),
        **filters,
    }


@transaction.atomic
def pin_create(*, actor: User, metric: str, options: dict[str, Any]) -> PinnedKpi:
    """Pin a panel to the actor's home (at the end); at most MAX_PINS per user."""
    clean = pin_options(metric, options)
    # Lock the user's row so two concurrent pins cannot both pass the limit.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    pins = pin_list(actor=actor)
    if pins.count() >= MAX_PINS:
        raise ValidationFailed(
            fields={"metric": [f"At most {MAX_PINS} KPIs can be pinned; unpin one first."]}
        )
    last = pins.aggregate(last=Max("position"))["last"]
    return PinnedKpi.objects.create(
        user=actor, metric=metric, options=clean, position=0 if last is None else last + 1
    )


def pin_delete(*, actor: User, pin: PinnedKpi) -> None:
    """Unpin (pins are fetched through `pin_get`, so only the owner reaches this)."""
    if pin.user_id != actor.pk:
        raise NotFound("No pinned KPI with this id.")
    pin.delete()
