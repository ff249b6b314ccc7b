"""The KPI engine through `new_leads`: periods, series, groups, splits, filters, permission
scoping, validation, comparison and cache invalidation."""

import pytest

from cyclecrm.analytics.kpis.definitions import metrics
from cyclecrm.analytics.tests.kpi_helpers import at, backdate, kpi
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def leads(rep_a, rep_b):
    made = [
        (rep_a, "web_form", "2026-03-02"),
        (rep_a, "web_form", "2026-03-10"),
        (rep_a, "event", "2026-03-31"),
        (rep_b, "web_form", "2026-03-15"),
        (rep_b, "referral", "2026-02-28"),  # before the period
        (rep_b, "referral", "2026-04-01"),  # after it
    ]
    for owner, source, day in made:
        lead = make_lead(owner=owner, source=source)
        backdate(lead, created_at=at(day, 23 if day.endswith("31") else 12))


def test_definitions_are_listed_with_formula_and_unit(api_client, admin):
    body = api_client(admin).get("/api/v1/analytics/kpis").json()
    names = {item["name"] for item in body["items"]}
    assert "new_leads" in names
    item = next(i for i in body["items"] if i["name"] == "new_leads")
    assert item["unit"] == "count" and item["formula"] and "source" in item["group_by"]
    assert len(names) == len(metrics())


def test_count_over_the_period_uses_utc_days_inclusive(api_client, admin, leads):
    body = kpi(api_client(admin), "new_leads", **PERIOD)
    assert body["value"] == 4
    assert body["display"] == "4"
    assert body["drill_url"].startswith("/leads/?created_after=2026-03-01")


def test_groups_by_source_with_drill_down(api_client, admin, leads):
    body = kpi(api_client(admin), "new_leads", group_by="source", **PERIOD)
    values = {g["key"]: g["value"] for g in body["groups"]}
    assert values == {"web_form": 3, "event": 1}
    web = next(g for g in body["groups"] if g["key"] == "web_form")
    assert "source=web_form" in web["drill_url"]


def test_weekly_series_is_gap_free(api_client, admin, leads):
    body = kpi(api_client(admin), "new_leads", group_by="week", **PERIOD)
    periods = [p["period"] for p in body["series"]]
    # ISO weeks overlapping March 2026 (1 March is a Sunday): 23 Feb ... 30 Mar.
    assert periods[0] == "2026-02-23" and periods[-1] == "2026-03-30" and len(periods) == 6
    assert [p["value"] for p in body["series"]] == [0, 1, 2, 0, 0, 1]


def test_split_series_by_source(api_client, admin, leads):
    body = kpi(api_client(admin), "new_leads", group_by="month", split_by="source", **PERIOD)
    (point,) = body["series"]
    assert point["value"] == 4
    assert point["parts"]["web_form"] == 3 and point["parts"]["event"] == 1
    assert point["parts"]["referral"] == 0


def test_a_rep_counts_only_their_own_leads(api_client, rep_a, leads):
    assert kpi(api_client(rep_a), "new_leads", **PERIOD)["value"] == 3


def test_owner_filter_and_ignored_filters(api_client, admin, rep_b, leads):
    body = kpi(api_client(admin), "new_leads", owner=rep_b.pk, pipeline=1, **PERIOD)
    assert body["value"] == 1
    assert body["filters"] == {"owner": rep_b.pk, "pipeline": 1}
    assert body["ignored_filters"] == ["pipeline"]


def test_comparison_with_the_previous_period(api_client, admin, leads):
    body = kpi(
        api_client(admin), "new_leads", compare="true", **{"from": "2026-03-29", "to": "2026-04-01"}
    )
    # 29 Mar - 1 Apr: the 31 Mar and 1 Apr leads; the previous 4 days (25 - 28 Mar): none.
    assert body["value"] == 2 and body["from"] == "2026-03-29"
    assert body["previous"] == {
        "from": "2026-03-25",
        "to": "2026-03-28",
        "value": 0,
        "no_data": None,
    }
    assert body["change_percent"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "source", "split_by": "source"}, "split_by"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_invalid_queries_name_the_field(api_client, admin, params, field):
    response = api_client(admin).get("/api/v1/analytics/kpis/new_leads", params)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_unknown_metric_is_404(api_client, admin):
    response = api_client(admin).get("/api/v1/analytics/kpis/no_such_metric")
    assert response.status_code == 404


def test_cached_value_is_invalidated_when_a_lead_is_saved(api_client, admin, rep_a, leads):
    client = api_client(admin)
    lead = make_lead(owner=rep_a)  # created now, outside the period
    assert kpi(client, "new_leads", **PERIOD)["value"] == 4
    backdate(lead, created_at=at("2026-03-05"))  # a bulk update: no signal, still cached
    assert kpi(client, "new_leads", **PERIOD)["value"] == 4
    lead.refresh_from_db()
    lead.save()  # a save bumps the table's version
    assert kpi(client, "new_leads", **PERIOD)["value"] == 5


def test_bulk_writes_invalidate_through_rows_changed(api_client, admin, rep_a, leads):
    from cyclecrm.core.signals import rows_changed_send
    from cyclecrm.leads.models import Lead

    client = api_client(admin)
    lead = make_lead(owner=rep_a)
    assert kpi(client, "new_leads", **PERIOD)["value"] == 4
    backdate(lead, created_at=at("2026-03-05"))
    rows_changed_send(Lead)  # what a queryset update or bulk upsert sends
    assert kpi(client, "new_leads", **PERIOD)["value"] == 5
