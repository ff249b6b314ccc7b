"""Acquisition KPIs on a small hand-counted fixture: the lead funnel and its rates."""

import pytest

from cyclecrm.analytics.tests.kpi_helpers import at, backdate, kpi
from cyclecrm.campaigns.tests.factories import make_campaign
from cyclecrm.leads.models import LeadStatus, LeadStatusChange
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.pipeline.tests.factories import make_opportunity, make_pipeline

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
EMPTY = {"from": "2025-01-01", "to": "2025-01-31"}


def _lead(owner, day, **fields):
    lead = make_lead(owner=owner, **fields)
    backdate(lead, created_at=at(day))
    return lead


@pytest.fixture
def funnel_leads(rep_a, rep_b):
    """March: 6 leads of rep A, 2 of rep B; one of each in February (outside the period).

    rep A: L1 plain; L2 MQL; L3 MQL + qualified now; L4 qualified once (history) then
    unqualified, never MQL; L5 converted with an open deal; L6 converted with a won deal.
    rep B: L7 MQL; L8 converted without a deal.
    Steps (reached or later): leads 8; MQL 2,3,4,5,6,7,8 = 7; SQL 3,4,5,6,8 = 5;
    opportunity 5,6 = 2; won 6 = 1. Converted: 5,6,8 = 3.
    """
    pipeline = make_pipeline()
    campaign = make_campaign(owner=rep_a)
    now = at("2026-03-20")
    _lead(rep_a, "2026-03-02", source_campaign=campaign)
    _lead(rep_a, "2026-03-03", mql_at=now, source_campaign=campaign)
    _lead(rep_a, "2026-03-04", mql_at=now, status=LeadStatus.QUALIFIED)
    l4 = _lead(rep_a, "2026-03-05", status=LeadStatus.UNQUALIFIED)
    LeadStatusChange.objects.create(lead=l4, from_status="open", to_status="qualified", at=now)
    open_deal = make_opportunity(rep_a, pipeline=pipeline)
    won_deal = make_opportunity(rep_a, pipeline=pipeline, stage_name="Closed won")
    _lead(
        rep_a, "2026-03-06", first_name="Open", last_name="Five",
        converted_at=now, converted_opportunity=open_deal,
    )  # fmt: skip
    _lead(
        rep_a, "2026-03-07", first_name="Won", last_name="Six",
        converted_at=now, converted_opportunity=won_deal,
    )  # fmt: skip
    _lead(rep_b, "2026-03-08", mql_at=now)
    _lead(rep_b, "2026-03-09", converted_at=now)
    _lead(rep_a, "2026-02-27", converted_at=now, converted_opportunity=won_deal)
    _lead(rep_b, "2026-02-28", mql_at=now)
    return campaign


def test_lead_funnel_counts_each_step_and_its_conversion(api_client, admin, funnel_leads):
    body = kpi(api_client(admin), "lead_funnel", group_by="step", **MARCH)
    steps = {g["key"]: g for g in body["groups"]}
    assert body["value"] == 8
    assert [g["value"] for g in body["groups"]] == [8, 7, 5, 2, 1]
    # MQL: 7 of 8; SQL: 5 of 7; opportunity: 2 of 5; won: 1 of 2.
    assert (steps["sql"]["numerator"], steps["sql"]["denominator"]) == (5, 7)
    assert steps["lead"]["denominator"] is None
    assert "reached=sql" in steps["sql"]["drill_url"]


def test_funnel_step_drills_down_to_exactly_the_counted_leads(api_client, admin, funnel_leads):
    client = api_client(admin)
    body = kpi(client, "lead_funnel", **MARCH)
    for group in body["groups"]:
        query = group["drill_url"].split("?", 1)[1]
        listed = client.get(f"/api/v1/leads?{query}&limit=100").json()
        assert len(listed["items"]) == group["value"], group["key"]


def test_funnel_drill_down_on_the_web_lead_list(web_client, admin, funnel_leads):
    response = web_client(admin).get(
        "/leads/", {"reached": "won", "created_after": "2026-03-01T00:00:00+00:00"}
    )
    assert response.status_code == 200
    # Only L6 (the won deal, created in March) is listed; L5 (open deal) is not.
    assert b"Won Six" in response.content and b"Open Five" not in response.content


@pytest.mark.parametrize(
    ("name", "value", "numerator", "denominator"),
    [
        ("lead_conversion_rate", "37.50", 3, 8),  # 3 / 8 = 37.50 %
        ("lead_to_mql_rate", "87.50", 7, 8),  # 7 / 8
        ("mql_to_sql_rate", "71.43", 5, 7),  # 5 / 7 = 71.428...
        ("sql_to_opportunity_rate", "40.00", 2, 5),  # 2 / 5
        ("opportunity_to_won_rate", "50.00", 1, 2),  # 1 / 2
    ],
)
def test_step_rates(api_client, admin, funnel_leads, name, value, numerator, denominator):
    body = kpi(api_client(admin), name, **MARCH)
    assert body["value"] == float(value)
    assert (body["numerator"], body["denominator"]) == (numerator, denominator)


@pytest.mark.parametrize(
    "name",
    [
        "lead_funnel",
        "lead_conversion_rate",
        "lead_to_mql_rate",
        "mql_to_sql_rate",
        "sql_to_opportunity_rate",
        "opportunity_to_won_rate",
    ],
)
def test_an_empty_period_has_no_data(api_client, admin, funnel_leads, name):
    body = kpi(api_client(admin), name, **EMPTY)
    assert body["no_data"]
    assert body["value"] in (None, 0)


def test_rate_series_by_month_and_groups_by_campaign(api_client, admin, funnel_leads):
    client = api_client(admin)
    body = kpi(
        client, "lead_to_mql_rate", group_by="month", **{"from": "2026-02-01", "to": "2026-03-31"}
    )
    # February: 2 leads, both reached MQL (one converted with a deal) = 100 %; March 7 / 8.
    assert [p["value"] for p in body["series"]] == [100.0, 87.5]
    body = kpi(client, "lead_to_mql_rate", group_by="campaign", **MARCH)
    with_campaign = next(g for g in body["groups"] if g["key"] == str(funnel_leads.pk))
    # The campaign's leads: L1 (not MQL), L2 (MQL): 1 / 2.
    assert with_campaign["value"] == 50.0 and with_campaign["denominator"] == 2
    assert f"source_campaign_id={funnel_leads.pk}" in with_campaign["drill_url"]


def test_campaign_filter_limits_the_cohort(api_client, admin, funnel_leads):
    body = kpi(api_client(admin), "lead_funnel", campaign=funnel_leads.pk, **MARCH)
    assert [g["value"] for g in body["groups"]] == [2, 1, 0, 0, 0]


def test_a_rep_sees_only_their_own_leads_in_the_funnel(api_client, rep_a, rep_b, funnel_leads):
    body = kpi(api_client(rep_a), "lead_funnel", **MARCH)
    # rep A's six March leads: MQL 2-6 = 5, SQL 3-6 = 4, opportunity 2, won 1.
    assert [g["value"] for g in body["groups"]] == [6, 5, 4, 2, 1]
    body = kpi(api_client(rep_b), "lead_conversion_rate", **MARCH)
    assert (body["numerator"], body["denominator"]) == (1, 2)  # L8 of L7, L8
