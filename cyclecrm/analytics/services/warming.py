"""Keeping the dashboards people look at computed ahead of them (docs/performance.md,
"Dashboards").

Every dashboard render remembers who looked at which page with which filter bar, for a day.
The periodic job `warm_dashboards` (every `WARM_MINUTES`) renders the panels of each remembered
view through the same `panel_view` a request uses: a panel whose cached value is still current
is a cache hit, so a run recomputes only what a data change invalidated, and the next visit
finds the page warm. A page opened after a change and before the next run is computed on the
request, as without this job (its cold time is the bound, docs/performance.md). The list of
views is a read-modify-write of one cache entry: two renders at the same instant may drop one
view, which is then only not warmed.
"""

import time
from typing import Any
from urllib.parse import parse_qsl

from django.core.cache import cache
from django.utils import timezone

from cyclecrm.analytics.dashboards import dashboard_get
from cyclecrm.analytics.forms import DashboardFilters, read_filters
from cyclecrm.analytics.panels import panel_view
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity.models import User

VIEWS_KEY = "kpi-warm:views"
RECENT_SECONDS = 86_400
REFRESH_SECONDS = 3_600
MAX_VIEWS = 500
WARM_MINUTES = 5


def remember_view(*, actor: User, slug: str, filters: DashboardFilters) -> None:
    """Note that `actor` looked at dashboard `slug` with `filters` (a preset range is kept as
    the preset, so tomorrow's run warms tomorrow's "last 30 days")."""
    params = dict(parse_qsl(filters.querystring()))
    if filters.range != "custom":
        params.pop("from", None)
        params.pop("to", None)
    key = f"{actor.pk}|{slug}|{sorted(params.items())}"
    views: dict[str, dict[str, Any]] = cache.get(VIEWS_KEY) or {}
    now = time.time()
    if now - views.get(key, {}).get("at", 0) < REFRESH_SECONDS:
        return
    views[key] = {"user": actor.pk, "slug": slug, "params": params, "at": now}
    recent = sorted(views.items(), key=lambda item: item[1]["at"], reverse=True)[:MAX_VIEWS]
    cache.set(VIEWS_KEY, dict(recent), timeout=RECENT_SECONDS)


def recent_views() -> list[dict[str, Any]]:
    """The views remembered in the last RECENT_SECONDS, newest first."""
    views = (cache.get(VIEWS_KEY) or {}).values()
    oldest = time.time() - RECENT_SECONDS
    return sorted((v for v in views if v["at"] >= oldest), key=lambda v: v["at"], reverse=True)


def warm_dashboards() -> int:
    """Compute every panel of the recently viewed dashboards that is not cached; returns the
    number of panels rendered (cached ones included)."""
    today, done = timezone.now().date(), 0
    users = User.objects.in_bulk({view["user"] for view in recent_views()})
    for view in recent_views():
        user, dashboard = users.get(view["user"]), dashboard_get(view["slug"])
        if user is None or not user.is_active or dashboard is None:
            continue
        done += _warm(user, dashboard.panels, read_filters(view["params"], today=today))
    return done


def _warm(user: User, panels: tuple, filters: DashboardFilters) -> int:
    done = 0
    for index, panel in enumerate(panels):
        try:
            view = panel_view(actor=user, panel=panel, filters=filters, dom_id=f"warm-{index}")
        except ValidationFailed:
            return done
        done += view is not None
    return done
