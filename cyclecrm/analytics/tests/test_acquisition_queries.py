"""The acquisition metrics and the sales cost list run a fixed number of queries, whatever the
number of records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.analytics.kpis.cache import invalidate
from cyclecrm.analytics.kpis.catalog import AREAS  # noqa: F401  (metrics are registered)
from cyclecrm.analytics.kpis.definitions import Area, metrics
from cyclecrm.analytics.models import SalesCost
from cyclecrm.analytics.tests.kpi_helpers import at, backdate
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
ACQUISITION = [m.name for m in metrics() if m.area == Area.ACQUISITION and m.name != "campaign_roi"]


def _queries(client, url, params) -> int:
    """Queries of one uncached request (after a first one: token and session bookkeeping)."""
    client.get(url, params)
    invalidate()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def _grow(rep, n):
    for i in range(n):
        backdate(
            make_lead(owner=rep, mql_at=at("2026-03-03")), created_at=at(f"2026-03-{i + 2:02d}")
        )
        SalesCost.objects.create(date=f"2026-03-{i + 2:02d}", amount=10)


@pytest.mark.parametrize("name", ACQUISITION)
def test_metric_queries_do_not_grow_with_the_data(api_client, admin, rep_a, name):
    client = api_client(admin)
    url = f"/api/v1/analytics/kpis/{name}"
    _grow(rep_a, 2)
    few = _queries(client, url, MARCH)
    _grow(rep_a, 8)
    assert _queries(client, url, MARCH) == few


def test_sales_cost_list_queries_do_not_grow(api_client, manager):
    client = api_client(manager)
    SalesCost.objects.create(date="2026-03-01", amount=1)
    few = _queries(client, "/api/v1/sales-costs", {})
    for day in range(2, 20):
        SalesCost.objects.create(date=f"2026-03-{day:02d}", amount=day)
    assert _queries(client, "/api/v1/sales-costs", {}) == few
