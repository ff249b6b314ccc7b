"""Sales metrics against hand-computed values (docs/kpis.md#sales). Amounts are in USD, the
base currency of the tests, so no conversion is involved unless a test adds a rate."""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.analytics.models import Quota
from cyclecrm.analytics.tests.kpi_helpers import at, kpi
from cyclecrm.core.testing.factories import make_account, make_contact, make_user
from cyclecrm.pipeline.models import ExchangeRate, Onboarding, StageChange
from cyclecrm.pipeline.tests.factories import make_opportunity, make_pipeline, stage

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
EMPTY = {"from": "2025-01-01", "to": "2025-01-31"}


@pytest.fixture
def pipeline(db):
    return make_pipeline("Sales", is_default=True)


@pytest.fixture
def deals(pipeline, rep_a, rep_b):
    """Open: 1,000 at 10 % and 2,000 at 50 % (rep_a), 500 at 10 % (rep_b).
    Closed in March: won 1,000 after 10 days and 3,000 after 20 (rep_a), won 2,000 after 30
    days and lost 700 (rep_b); won 9,000 in April (rep_a)."""
    open_deals = [
        (rep_a, "Prospecting", "1000", "2026-03-20"),
        (rep_a, "Proposal", "2000", "2026-04-10"),
        (rep_b, "Prospecting", "500", "2026-03-25"),
    ]
    for owner, name, amount, close in open_deals:
        make_opportunity(
            owner,
            pipeline=pipeline,
            stage_name=name,
            amount=Decimal(amount),
            expected_close_date=dt.date.fromisoformat(close),
        )
    closed = [
        (rep_a, "Closed won", "1000", "2026-02-20", "2026-03-02"),
        (rep_a, "Closed won", "3000", "2026-02-12", "2026-03-04"),
        (rep_b, "Closed won", "2000", "2026-03-01", "2026-03-31"),
        (rep_b, "Closed lost", "700", "2026-03-01", "2026-03-15"),
        (rep_a, "Closed won", "9000", "2026-03-20", "2026-04-02"),
    ]
    for owner, name, amount, created, closed_on in closed:
        make_opportunity(
            owner,
            pipeline=pipeline,
            stage_name=name,
            amount=Decimal(amount),
            created_at=at(created),
            closed_at=at(closed_on),
        )


# -- pipeline_value, weighted_pipeline ------------------------------------------------------


def test_pipeline_value_sums_open_deals_now(api_client, admin, deals):
    # 1,000 + 2,000 + 500 = 3,500; the period does not matter (a state).
    assert kpi(api_client(admin), "pipeline_value", **MARCH)["value"] == 3500.0
    assert kpi(api_client(admin), "pipeline_value", **EMPTY)["value"] == 3500.0


def test_weighted_pipeline_and_rep_scope(api_client, admin, rep_a, deals):
    # 1,000 * 10 % + 2,000 * 50 % + 500 * 10 % = 100 + 1,000 + 50 = 1,150
    assert kpi(api_client(admin), "weighted_pipeline")["value"] == 1150.0
    # rep_a reads only their own: 100 + 1,000
    assert kpi(api_client(rep_a), "weighted_pipeline")["value"] == 1100.0
    assert kpi(api_client(rep_a), "pipeline_value")["value"] == 3000.0


def test_pipeline_value_by_stage_with_drill_down(api_client, admin, pipeline, deals):
    body = kpi(api_client(admin), "pipeline_value", group_by="stage", pipeline=pipeline.pk)
    values = {g["label"]: g["value"] for g in body["groups"]}
    assert values == {
        "Prospecting": 1500.0,
        "Qualification": 0.0,
        "Proposal": 2000.0,
        "Negotiation": 0.0,
    }
    proposal = next(g for g in body["groups"] if g["label"] == "Proposal")
    assert f"stage_id={stage(pipeline, 'Proposal').pk}" in proposal["drill_url"]
    assert "status=open" in proposal["drill_url"]
    listed = api_client(admin).get("/api/v1/opportunities" + proposal["drill_url"][15:])
    assert [item["amount"] for item in listed.json()["items"]] == ["2000.00"]


def test_pipeline_value_by_owner(api_client, admin, rep_a, rep_b, deals):
    body = kpi(api_client(admin), "pipeline_value", group_by="owner")
    assert [(g["key"], g["value"]) for g in body["groups"]] == [
        (str(rep_a.pk), 3000.0),
        (str(rep_b.pk), 500.0),
    ]


def test_pipeline_value_converts_and_filters_campaign(api_client, admin, pipeline, rep_a):
    from cyclecrm.campaigns.models import Campaign

    campaign = Campaign.objects.create(name="Spring")
    ExchangeRate.objects.create(currency="EUR", valid_from=dt.date(2020, 1, 1), rate="1.5")
    make_opportunity(
        rep_a, pipeline=pipeline, amount=Decimal(100), currency="EUR", campaign=campaign
    )
    make_opportunity(rep_a, pipeline=pipeline, amount=Decimal(40))
    # 100 EUR * 1.5 = 150 USD, plus 40 USD
    assert kpi(api_client(admin), "pipeline_value")["value"] == 190.0
    assert kpi(api_client(admin), "pipeline_value", campaign=campaign.pk)["value"] == 150.0


# -- stage_distribution, customer_stage_distribution ----------------------------------------


def test_stage_distribution_shares(api_client, admin, pipeline, deals):
    body = kpi(api_client(admin), "stage_distribution", group_by="stage", pipeline=pipeline.pk)
    shares = {g["label"]: (g["value"], g["numerator"], g["denominator"]) for g in body["groups"]}
    # 2 of 3 open deals in Prospecting, 1 in Proposal
    assert shares["Prospecting"] == (66.67, 2, 3)
    assert shares["Proposal"] == (33.33, 1, 3)
    assert shares["Negotiation"] == (0.0, 0, 3)
    value_share = body["extra"]["value_share"]
    # value: Prospecting 1,500 / 3,500, Proposal 2,000 / 3,500
    assert value_share[str(stage(pipeline, "Prospecting").pk)] == 42.86
    assert value_share[str(stage(pipeline, "Proposal").pk)] == 57.14


def test_stage_distribution_without_open_deals_is_no_data(api_client, admin, pipeline):
    body = kpi(api_client(admin), "stage_distribution", group_by="stage")
    assert body["value"] is None and body["no_data"] == "There are no open opportunities."


def test_customer_stage_distribution(api_client, admin, rep_a, rep_b):
    for owner, stage_key in (
        (rep_a, "lead"),
        (rep_a, "lead"),
        (rep_a, "customer"),
        (rep_b, "customer"),
    ):
        make_contact(owner, lifecycle_stage=stage_key)
    body = kpi(api_client(admin), "customer_stage_distribution", group_by="lifecycle_stage")
    shares = {g["key"]: g["value"] for g in body["groups"]}
    # 2 of 4 leads, 2 of 4 customers
    assert shares["lead"] == 50.0 and shares["customer"] == 50.0 and shares["mql"] == 0.0
    customer = next(g for g in body["groups"] if g["key"] == "customer")
    assert "lifecycle_stage=customer" in customer["drill_url"]
    mine = kpi(api_client(rep_a), "customer_stage_distribution", group_by="lifecycle_stage")
    # rep_a: 2 of 3 leads, 1 of 3 customers
    assert {g["key"]: g["value"] for g in mine["groups"]}["lead"] == 66.67


def test_customer_stage_distribution_without_contacts(api_client, admin):
    assert (
        kpi(api_client(admin), "customer_stage_distribution")["no_data"] == "There are no contacts."
    )


# -- avg_days_in_stage ------------------------------------------------------------------------


def _history(opportunity, *moves):
    for name, day in moves:
        StageChange.objects.create(
            opportunity=opportunity, to_stage=stage(opportunity.pipeline, name), at=at(day)
        )


def test_avg_days_in_stage_and_bottleneck(api_client, admin, pipeline, rep_a):
    x = make_opportunity(
        rep_a,
        pipeline=pipeline,
        stage_name="Closed won",
        history=False,
        created_at=at("2026-03-01"),
    )
    _history(
        x,
        ("Prospecting", "2026-03-01"),
        ("Proposal", "2026-03-02"),
        ("Negotiation", "2026-03-06"),
        ("Closed won", "2026-03-09"),
    )
    y = make_opportunity(
        rep_a,
        pipeline=pipeline,
        stage_name="Closed lost",
        history=False,
        created_at=at("2026-03-10"),
    )
    _history(y, ("Proposal", "2026-03-10"), ("Closed lost", "2026-03-12"))
    body = kpi(api_client(admin), "avg_days_in_stage", group_by="stage", **MARCH)
    days = {g["label"]: g["value"] for g in body["groups"]}
    # Prospecting 1; Proposal (4 + 2) / 2 = 3; Negotiation 3
    assert days == {"Prospecting": 1.0, "Proposal": 3.0, "Negotiation": 3.0}
    # all stays: (1 + 4 + 2 + 3) / 4 = 2.5
    assert body["value"] == 2.5
    # a tie goes to the earlier stage
    assert body["extra"]["bottleneck"]["label"] == "Proposal"
    assert kpi(api_client(admin), "avg_days_in_stage", **EMPTY)["value"] is None


# -- win rate, deal size, cycle -----------------------------------------------------------------


def test_win_rate_over_deals_closed_in_the_period(api_client, admin, rep_a, deals):
    body = kpi(api_client(admin), "opportunity_win_rate", **MARCH)
    # 3 won, 1 lost in March: 3 / 4
    assert (body["value"], body["numerator"], body["denominator"]) == (75.0, 3, 4)
    assert "closed_after=2026-03-01" in body["drill_url"]
    # rep_a: 2 won of 2
    assert kpi(api_client(rep_a), "opportunity_win_rate", **MARCH)["value"] == 100.0


def test_win_rate_by_owner_and_monthly(api_client, admin, rep_a, rep_b, deals):
    body = kpi(api_client(admin), "opportunity_win_rate", group_by="owner", **MARCH)
    assert {g["key"]: g["value"] for g in body["groups"]} == {
        str(rep_a.pk): 100.0,
        str(rep_b.pk): 50.0,
    }
    series = kpi(
        api_client(admin),
        "opportunity_win_rate",
        group_by="month",
        **{"from": "2026-02-01", "to": "2026-04-30"},
    )["series"]
    # February: nothing closed (no data, not 0); March 75 %; April 1 won of 1
    assert [p["value"] for p in series] == [None, 75.0, 100.0]


def test_win_rate_drill_lists_the_closed_deals(api_client, admin, deals):
    body = kpi(api_client(admin), "opportunity_win_rate", **MARCH)
    listed = api_client(admin).get("/api/v1/opportunities" + body["drill_url"][15:])
    assert len(listed.json()["items"]) == 4


def test_win_rate_empty_period(api_client, admin, deals):
    body = kpi(api_client(admin), "opportunity_win_rate", **EMPTY)
    assert body["value"] is None
    assert body["no_data"] == "No opportunity was won or lost in the period."


def test_avg_deal_size(api_client, admin, rep_b, deals):
    # (1,000 + 3,000 + 2,000) / 3
    body = kpi(api_client(admin), "avg_deal_size", **MARCH)
    assert (body["value"], body["numerator"], body["denominator"]) == (2000.0, 6000.0, 3)
    assert kpi(api_client(admin), "avg_deal_size", owner=rep_b.pk, **MARCH)["value"] == 2000.0
    assert kpi(api_client(admin), "avg_deal_size", **EMPTY)["value"] is None


def test_sales_cycle_length(api_client, admin, rep_a, deals):
    # won in March after 10, 20 and 30 days
    assert kpi(api_client(admin), "sales_cycle_length", **MARCH)["value"] == 20.0
    # rep_a: (10 + 20) / 2
    assert kpi(api_client(rep_a), "sales_cycle_length", **MARCH)["value"] == 15.0
    series = kpi(
        api_client(admin),
        "sales_cycle_length",
        group_by="month",
        **{"from": "2026-03-01", "to": "2026-04-30"},
    )["series"]
    # April: the 9,000 deal, created 20 March, won 2 April: 13 days
    assert [p["value"] for p in series] == [20.0, 13.0]
    assert kpi(api_client(admin), "sales_cycle_length", **EMPTY)["no_data"]


# -- forecast_vs_quota --------------------------------------------------------------------------


@pytest.fixture
def quotas(teams, rep_a):
    march = {"period_start": dt.date(2026, 3, 1), "period_end": dt.date(2026, 3, 31)}
    Quota.objects.create(team=teams["sales"], amount=Decimal(10000), **march)
    Quota.objects.create(team=teams["north"], amount=Decimal(4000), **march)
    Quota.objects.create(user=rep_a, amount=Decimal(3100), **march)


def test_forecast_vs_quota_counts_the_top_team_quota_once(api_client, admin, deals, quotas):
    body = kpi(api_client(admin), "forecast_vs_quota", **MARCH)
    # quota: Sales 10,000 (North is below Sales, so not added); won in March 6,000;
    # open expected in March: 1,000 * 10 % + 500 * 10 % = 150; (6,000 + 150) / 10,000
    assert body["value"] == 61.5
    extra = body["extra"]
    assert (extra["quota"], extra["won"], extra["weighted"]) == (10000.0, 6000.0, 150.0)
    assert extra["attainment"] == 60.0 and extra["basis"] == "teams"


def test_forecast_vs_quota_for_an_owner_and_a_team(api_client, admin, rep_a, teams, deals, quotas):
    body = kpi(api_client(admin), "forecast_vs_quota", owner=rep_a.pk, **MARCH)
    # rep_a: won 4,000 + weighted 100 against 3,100
    assert body["value"] == 132.26 and body["extra"]["attainment"] == 129.03
    team = kpi(api_client(admin), "forecast_vs_quota", team=teams["north"].pk, **MARCH)
    # North's deals are rep_a's: 4,100 / 4,000
    assert team["value"] == 102.5


def test_a_rep_is_measured_against_their_own_quota(api_client, rep_a, deals, quotas):
    body = kpi(api_client(rep_a), "forecast_vs_quota", **MARCH)
    assert body["extra"]["basis"] == "users" and body["value"] == 132.26


def test_forecast_vs_quota_prorates_a_partial_period(api_client, admin, rep_a, deals, quotas):
    body = kpi(
        api_client(admin),
        "forecast_vs_quota",
        owner=rep_a.pk,
        **{"from": "2026-03-16", "to": "2026-03-31"},
    )
    # 3,100 * 16 / 31 = 1,600; nothing won 16-31 March; weighted 100 (closes 20 March)
    assert body["extra"]["quota"] == 1600.0 and body["value"] == 6.25


def test_forecast_vs_quota_without_quota(api_client, admin, deals):
    body = kpi(api_client(admin), "forecast_vs_quota", **MARCH)
    assert body["value"] is None and body["no_data"] == "No quota is set for the period."


# -- onboarding_completion_rate -----------------------------------------------------------------


def test_onboarding_completion_rate(api_client, admin, rep_a, rep_b):
    mine, theirs = make_account(rep_a), make_account(rep_b)
    made = [
        (mine, "2026-03-02", "2026-03-07"),
        (mine, "2026-03-05", "2026-03-12"),
        (theirs, "2026-03-10", "2026-03-19"),
        (theirs, "2026-03-20", None),
        (theirs, "2026-02-20", "2026-02-21"),  # started before the period
    ]
    for account, started, completed in made:
        Onboarding.objects.create(
            account=account,
            started_at=at(started),
            completed_at=at(completed) if completed else None,
        )
    body = kpi(api_client(admin), "onboarding_completion_rate", **MARCH)
    # 3 of the 4 started in March are complete, after 5, 7 and 9 days
    assert (body["value"], body["numerator"], body["denominator"]) == (75.0, 3, 4)
    assert body["extra"]["avg_days_to_complete"] == 7.0
    own = kpi(api_client(rep_a), "onboarding_completion_rate", **MARCH)
    assert own["value"] == 100.0 and own["extra"]["avg_days_to_complete"] == 6.0
    assert kpi(api_client(admin), "onboarding_completion_rate", **EMPTY)["value"] is None


def test_opportunity_list_filters_by_campaign(api_client, admin, pipeline, rep_a):
    from cyclecrm.campaigns.models import Campaign

    campaign = Campaign.objects.create(name="Autumn")
    sourced = make_opportunity(rep_a, pipeline=pipeline, campaign=campaign)
    make_opportunity(rep_a, pipeline=pipeline)
    listed = api_client(admin).get("/api/v1/opportunities", {"campaign_id": campaign.pk})
    assert [item["id"] for item in listed.json()["items"]] == [sourced.pk]


SALES_METRICS = [
    ("pipeline_value", {"group_by": "stage"}),
    ("weighted_pipeline", {"group_by": "owner"}),
    ("stage_distribution", {"group_by": "stage"}),
    ("avg_days_in_stage", {"group_by": "stage"}),
    ("opportunity_win_rate", {"group_by": "month"}),
    ("avg_deal_size", {"group_by": "owner"}),
    ("sales_cycle_length", {}),
    ("forecast_vs_quota", {}),
]


def _queries(client) -> dict[str, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, params in SALES_METRICS:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            kpi(client, name, **params, **MARCH)
        counts[name] = len(captured)
    return counts


def test_query_count_does_not_grow_with_the_data(
    api_client, admin, pipeline, rep_a, rep_b, deals, quotas
):
    def more_deals():
        for owner in (rep_a, rep_b):
            for name in ("Prospecting", "Negotiation", "Closed won", "Closed lost"):
                make_opportunity(
                    owner, pipeline=pipeline, stage_name=name, created_at=at("2026-03-05")
                )

    more_deals()  # every metric has data, so none stops early
    client = api_client(admin)
    kpi(client, "pipeline_value")  # the first request of a client sets up its session
    before = _queries(client)
    more_deals()
    more_deals()
    assert _queries(client) == before
    assert max(before.values()) <= 15


def test_stage_groups_list_only_pipelines_the_reader_may_read(api_client, teams, pipeline):
    """A stage grouping's labels name the pipeline: a user who may not read pipelines (no
    role) got every active pipeline's stages listed (found by the permission matrix)."""
    nobody = make_user("nobody", teams=[teams["north"]])

    for name in ("pipeline_value", "stage_distribution"):
        body = kpi(api_client(nobody), name, group_by="stage")
        assert "Sales" not in str(body), name
