"""The warming job recomputes what a data change invalidated on the dashboards people viewed,
so their next visit needs no panel query (services/warming.py)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.analytics.kpis import cache as kpi_cache
from cyclecrm.analytics.services.warming import recent_views, warm_dashboards
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db
PARAMS = {"range": "last_30_days", "team": ""}


def render_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/analytics/marketing/", PARAMS).status_code == 200
    return len(queries)


def test_a_render_is_remembered_with_its_preset(web_client, admin):
    cache.clear()
    web_client(admin).get("/analytics/marketing/", PARAMS)
    [view] = recent_views()
    assert (view["user"], view["slug"], view["params"]) == (
        admin.pk,
        "marketing",
        {"range": "last_30_days"},
    )


def test_warming_after_a_change_makes_the_next_visit_warm(web_client, admin):
    cache.clear()
    client = web_client(admin)
    make_lead(owner=admin, source="event")
    render_queries(client)
    warm = render_queries(client)
    make_lead(owner=admin, source="referral")  # invalidates the lead metrics
    kpi_cache.invalidate()
    assert render_queries(client) > warm  # cold: the panels query again
    kpi_cache.invalidate()
    assert warm_dashboards() > 0
    assert render_queries(client) == warm


def test_inactive_users_are_skipped_and_custom_ranges_kept(web_client, rep_a):
    cache.clear()
    custom = {"from": "2026-01-01", "to": "2026-01-31"}
    web_client(rep_a).get("/analytics/marketing/", custom)
    [view] = recent_views()
    assert view["params"] == {"range": "custom", **custom}
    rep_a.is_active = False
    rep_a.save()
    assert warm_dashboards() == 0
