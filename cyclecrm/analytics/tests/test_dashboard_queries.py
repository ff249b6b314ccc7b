"""A dashboard's query count is bounded and does not grow with the data: every panel is a
fixed number of aggregate queries, whatever the number of records."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.analytics.kpis.definitions import metric_get
from cyclecrm.campaigns.tests.factories import make_campaign
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

SOURCES = ("web_form", "event", "referral", "email")
# Session, user, the filter bar's five selects, the user's pins and permission lookups.
PAGE_QUERIES = 11
# A panel: its metric's few aggregates (at most 3), twice for number and gauge panels that
# compare with the previous period.
PANEL_QUERIES = 6


def add_leads(owners, campaigns, n: int) -> None:
    for i in range(n):
        make_lead(
            owner=owners[i % len(owners)],
            source=SOURCES[i % len(SOURCES)],
            source_campaign=campaigns[i % len(campaigns)],
        )


def count_queries(client, slug: str) -> int:
    cache.clear()  # cold KPI cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/analytics/{slug}/", {"range": "last_30_days", "compare": "1"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("slug", [d.slug for d in DASHBOARDS])
def test_query_count_is_bounded_and_independent_of_data(web_client, admin, rep_a, rep_b, slug):
    owners = [admin, rep_a, rep_b]
    campaigns = [make_campaign(admin, name=f"C{i}") for i in range(3)]
    client = web_client(admin)
    add_leads(owners, campaigns, 8)
    small = count_queries(client, slug)
    add_leads(owners, campaigns, 16)  # three times the data
    large = count_queries(client, slug)
    dashboard = next(d for d in DASHBOARDS if d.slug == slug)
    panels = sum(1 for p in dashboard.panels if metric_get(p.metric) is not None)
    assert small == large
    assert large <= PAGE_QUERIES + PANEL_QUERIES * panels


def test_warm_cache_needs_no_panel_queries(web_client, admin):
    client = web_client(admin)
    make_lead(owner=admin, source="event")
    params = {"range": "last_30_days"}
    client.get("/analytics/marketing/", params)
    with CaptureQueriesContext(connection) as cold_free:
        client.get("/analytics/marketing/", params)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get("/analytics/marketing/", params)
    assert len(cold_free) < len(cold)
