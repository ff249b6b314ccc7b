"""Retention and value metrics against hand-computed values on a small order history.

Orders (all USD, the base currency; paid unless noted), contact owner = order owner:
    c1 (rep_a): 2025-12-10 100, 2026-03-05 50, 2026-03-20 30
    c2 (rep_a): 2026-03-10 200, 2026-04-15 80
    c3 (rep_a): 2025-09-15 60
    c4 (rep_b): 2026-03-15 120, 2026-03-16 999 (draft: not a purchase)
    c5 (rep_b): 2025-08-20 40
    c6 (rep_a): 2025-11-01 70
    c7 (rep_a): 2026-01-05 10, 2026-02-07 10, 2026-04-02 10
"""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.analytics.models import SalesCost
from cyclecrm.analytics.tests.kpi_helpers import at, backdate, kpi
from cyclecrm.campaigns.tests.factories import add_cost, make_campaign
from cyclecrm.catalog.tests.factories import make_order
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.intelligence.models import CustomerInsight, ModelKind, ModelRun, RunStatus
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EntryKind, Referral
from cyclecrm.loyalty.tests.reward_factories import make_program
from cyclecrm.segments.models import Segment, SegmentKind, SegmentMember

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
FEB_MARCH = {"from": "2026-02-01", "to": "2026-03-31"}
EMPTY = {"from": "2020-01-01", "to": "2020-01-31"}
RATES = (
    "churn_rate",
    "retention_cohorts",
    "repeat_purchase_rate",
    "average_order_value",
    "cltv",
    "predicted_cltv",
    "cac",
    "cltv_to_cac",
    "loyalty_redemption_rate",
    "referral_conversion_rate",
)


def order(contact, day: str, total: str, status: str = "paid"):
    made = make_order(contact.owner, contact=contact, currency="USD", status=status)
    backdate(made, ordered_at=at(day), total=Decimal(total))
    return made


@pytest.fixture
def people(rep_a, rep_b):
    c = {n: make_contact(owner=rep_a if n not in (4, 5) else rep_b) for n in range(1, 8)}
    history = [
        (1, "2025-12-10", "100"),
        (1, "2026-03-05", "50"),
        (1, "2026-03-20", "30"),
        (2, "2026-03-10", "200"),
        (2, "2026-04-15", "80"),
        (3, "2025-09-15", "60"),
        (4, "2026-03-15", "120"),
        (5, "2025-08-20", "40"),
        (6, "2025-11-01", "70"),
        (7, "2026-01-05", "10"),
        (7, "2026-02-07", "10"),
        (7, "2026-04-02", "10"),
    ]
    for n, day, total in history:
        order(c[n], day, total)
    order(c[4], "2026-03-16", "999", status="draft")
    return c


@pytest.fixture
def costs(marketer, teams):
    campaign = make_campaign(marketer)
    add_cost(campaign, "600", date=dt.date(2026, 3, 3))
    add_cost(campaign, "999", date=dt.date(2026, 2, 20))
    SalesCost.objects.create(date=dt.date(2026, 3, 31), amount=Decimal(300), team=teams["north"])
    SalesCost.objects.create(date=dt.date(2026, 4, 1), amount=Decimal(50))


def test_new_customers_count_and_monthly_series(api_client, admin, people):
    # First purchases in March: c2 (10 Mar) and c4 (15 Mar); c1 first bought in December.
    assert kpi(api_client(admin), "new_customers", **MARCH)["value"] == 2
    since_december = {"from": "2025-12-01", "to": MARCH["to"]}
    body = kpi(api_client(admin), "new_customers", group_by="month", **since_december)
    # December c1, January c7, February none, March c2 + c4.
    assert [p["value"] for p in body["series"]] == [1, 1, 0, 2]
    assert "purchased=true" in body["drill_url"]


def test_cac_adds_marketing_and_sales_cost_per_new_customer(api_client, admin, people, costs):
    body = kpi(api_client(admin), "cac", **MARCH)
    # (600 campaign cost + 300 sales cost in March) / 2 new customers = 450.00
    assert body["value"] == 450.00
    assert body["extra"]["new_customers"] == 2
    assert Decimal(body["extra"]["marketing_cost"]) == 600
    assert Decimal(body["extra"]["sales_cost"]) == 300


def test_cac_of_a_rep_leaves_out_sales_costs(api_client, rep_a, people, costs):
    body = kpi(api_client(rep_a), "cac", **MARCH)
    # rep_a reads campaigns but not sales costs; their new customer: c2. 600 / 1 = 600.00
    assert body["value"] == 600.00
    assert body["extra"]["sales_cost"] is None


def test_cac_without_readable_costs_says_why(api_client, support_agent, people, costs):
    body = kpi(api_client(support_agent), "cac", **MARCH)
    assert body["value"] is None and "neither" in body["no_data"]


def test_cac_team_filter_applies_to_sales_costs(api_client, admin, teams, people, costs):
    body = kpi(api_client(admin), "cac", team=teams["south"].pk, **MARCH)
    # South: no campaign, no sales cost; its new customer c4 (rep_b's order): 0 / 1 = 0.00
    assert Decimal(body["value"]) == 0 and body["extra"]["new_customers"] == 1


def test_churn_rate(api_client, admin, people):
    body = kpi(api_client(admin), "churn_rate", **MARCH)
    # Active on 1 March (a purchase since 2 Sep 2025): c1, c3, c6, c7 (c5 lapsed: 20 Aug).
    # Lost: c3, last bought 15 Sep, before 1 Apr - 180 days = 3 Oct, and nothing in March.
    assert body["numerator"] == 1 and body["denominator"] == 4
    assert body["value"] == 25.00


def test_churn_rate_monthly_series(api_client, admin, people):
    body = kpi(api_client(admin), "churn_rate", group_by="month", **FEB_MARCH)
    # February: active c1, c3, c5 (20 Aug is after 1 Feb - 180 days = 5 Aug), c6, c7; lost c5
    # (20 Aug < 1 Mar - 180 days = 2 Sep): 1 / 5 = 20.00. March: 25.00 as above.
    assert [p["value"] for p in body["series"]] == [20.00, 25.00]


def test_churn_rate_of_a_rep(api_client, rep_b, people):
    # rep_b sees c4 (first purchase in March) and c5 (lapsed before March): nobody active.
    body = kpi(api_client(rep_b), "churn_rate", **MARCH)
    assert body["value"] is None and body["no_data"]


def test_retention_cohorts_matrix(api_client, admin, people):
    body = kpi(api_client(admin), "retention_cohorts", **{"from": "2026-01-01", "to": "2026-03-31"})
    matrix = body["extra"]["matrix"]
    assert matrix["cohorts"] == ["2026-01-01", "2026-03-01"]
    cells = {(c["cohort"], c["offset"]): c for c in matrix["cells"]}
    # January cohort: c7 alone, bought again in February (+1) and April (+3).
    assert cells[("2026-01-01", 1)]["rate"] == 100.00
    assert cells[("2026-01-01", 2)]["rate"] == 0.00
    assert cells[("2026-01-01", 3)]["customers"] == 1
    # March cohort: c2 and c4; c2 bought again in April: 1 / 2.
    assert cells[("2026-03-01", 1)]["rate"] == 50.00
    assert {g["key"]: g["value"] for g in body["groups"]} == {"2026-01-01": 1, "2026-03-01": 2}
    # Month-1 retention over both cohorts: (1 + 1) / (1 + 2) = 66.67
    assert body["value"] == 66.67


def test_repeat_purchase_rate_and_average_order_value(api_client, admin, people):
    client = api_client(admin)
    # March buyers c1 (2 purchases), c2, c4: 1 / 3 = 33.33
    assert kpi(client, "repeat_purchase_rate", **MARCH)["value"] == 33.33
    # March purchases 50 + 30 + 200 + 120 = 400 over 4 orders (the draft is left out) = 100.00
    body = kpi(client, "average_order_value", **MARCH)
    assert body["value"] == 100.00 and body["denominator"] == 4


def test_average_order_value_converts_to_the_base_currency(api_client, admin, people):
    from cyclecrm.pipeline.models import ExchangeRate

    ExchangeRate.objects.create(currency="EUR", valid_from=dt.date(2026, 1, 1), rate=Decimal(2))
    eur = make_order(people[2].owner, contact=people[2], currency="EUR", status="paid")
    backdate(eur, ordered_at=at("2026-03-25"), total=Decimal(50))
    # 400 + 50 EUR x 2 = 500 over 5 orders = 100.00; revenue 500.00
    assert kpi(api_client(admin), "average_order_value", **MARCH)["value"] == 100.00
    assert kpi(api_client(admin), "revenue", **MARCH)["value"] == 500.00


def test_revenue_monthly_series_and_by_segment(api_client, admin, people):
    client = api_client(admin)
    body = kpi(client, "revenue", group_by="month", **{"from": "2026-01-01", "to": "2026-03-31"})
    assert [p["value"] for p in body["series"]] == [10.00, 10.00, 400.00]
    segment = Segment.objects.create(name="Best", kind=SegmentKind.STATIC, owner=admin)
    for n in (1, 2):
        SegmentMember.objects.create(segment=segment, contact=people[n])
    body = kpi(client, "revenue", group_by="segment", **MARCH)
    # c1 80 + c2 200 in March
    assert body["groups"][0]["value"] == 280.00 and body["value"] == 400.00
    assert body["groups"][0]["drill_url"] == f"/segments/{segment.pk}/"
    # The segment filter: the same 280.00
    assert kpi(client, "revenue", segment=segment.pk, **MARCH)["value"] == 280.00


def test_revenue_by_rfm_group(api_client, admin, people):
    CustomerInsight.objects.create(contact=people[2], rfm_group="champions")
    groups = kpi(api_client(admin), "revenue", group_by="rfm_group", **MARCH)["groups"]
    assert {g["key"]: g["value"] for g in groups} == {"champions": 200.00, "": 200.00}


def test_historical_and_predicted_cltv(api_client, admin, people):
    client = api_client(admin)
    # March buyers c1 (100 + 50 + 30), c2 (200; April is after the period), c4 (120):
    # 500 / 3 = 166.67
    assert kpi(client, "cltv", **MARCH)["value"] == 166.67
    assert "not run" in kpi(client, "predicted_cltv", **MARCH)["no_data"]
    ModelRun.objects.create(kind=ModelKind.CLV, status=RunStatus.SUCCEEDED)
    CustomerInsight.objects.create(contact=people[1], predicted_clv=Decimal(120))
    CustomerInsight.objects.create(contact=people[2], predicted_clv=Decimal(80))
    CustomerInsight.objects.create(contact=people[3], predicted_clv=Decimal(999))  # no March buy
    # (120 + 80) / 2 = 100.00
    assert kpi(client, "predicted_cltv", **MARCH)["value"] == 100.00


def test_cltv_to_cac(api_client, admin, people, costs):
    body = kpi(api_client(admin), "cltv_to_cac", **MARCH)
    # 166.67 / 450.00 = 0.37
    assert body["value"] == 0.37


def test_a_rep_sees_only_their_customers(api_client, rep_a, people):
    client = api_client(rep_a)
    # rep_a's March purchases: c1 50 + 30, c2 200 = 280 over 3 orders; buyers c1, c2.
    assert kpi(client, "revenue", **MARCH)["value"] == 280.00
    assert kpi(client, "repeat_purchase_rate", **MARCH)["value"] == 50.00
    # c1 180 + c2 200 = 380 / 2 = 190.00
    assert kpi(client, "cltv", **MARCH)["value"] == 190.00
    assert kpi(client, "new_customers", **MARCH)["value"] == 1


@pytest.fixture
def loyalty(people):
    program = make_program()
    rows = [
        (1, EntryKind.EARN, 1000, "2026-03-05"),
        (1, EntryKind.REDEEM, -300, "2026-03-10"),
        (1, EntryKind.REFUND, 50, "2026-03-12"),
        (4, EntryKind.EARN, 500, "2026-03-06"),
        (4, EntryKind.EARN, 200, "2026-02-01"),
    ]
    members = {n: member_enroll(program=program, contact=people[n]) for n in (1, 4)}
    for n, kind, points, day in rows:
        entry = entry_post(member=members[n], kind=kind, points=points, reason="test")
        backdate(entry, created_at=at(day))


def test_loyalty_redemption_rate(api_client, admin, rep_a, loyalty):
    # Issued in March 1000 + 500; redeemed 300 - 50 refunded = 250: 250 / 1500 = 16.67
    body = kpi(api_client(admin), "loyalty_redemption_rate", **MARCH)
    assert body["value"] == 16.67 and body["denominator"] == 1500
    # rep_a reads c1 only: 250 / 1000 = 25.00
    assert kpi(api_client(rep_a), "loyalty_redemption_rate", **MARCH)["value"] == 25.00


@pytest.fixture
def referral_rows(people):
    rows = [
        (1, "converted", "2026-03-02"),
        (1, "refused", "2026-03-03"),
        (1, "pending", "2026-03-04"),
        (4, "converted", "2026-03-05"),
        (4, "converted", "2026-02-05"),
    ]
    for n, status, day in rows:
        Referral.objects.create(referrer=people[n], source="api", status=status, created_at=at(day))


def test_referrals_and_conversion(api_client, admin, rep_a, referral_rows):
    client = api_client(admin)
    assert kpi(client, "referrals", **MARCH)["value"] == 4
    series = kpi(client, "referrals", group_by="month", **FEB_MARCH)
    assert [p["value"] for p in series["series"]] == [1, 4]
    # 2 converted / (4 made - 1 refused) = 66.67
    assert kpi(client, "referral_conversion_rate", **MARCH)["value"] == 66.67
    # rep_a: c1's 3 referrals: 1 / (3 - 1) = 50.00
    assert kpi(api_client(rep_a), "referral_conversion_rate", **MARCH)["value"] == 50.00


@pytest.mark.parametrize("name", RATES)
def test_empty_period_is_no_data(api_client, admin, people, name):
    body = kpi(api_client(admin), name, **EMPTY)
    assert body["value"] is None and body["no_data"]


def test_counts_are_zero_in_an_empty_period(api_client, admin, people):
    client = api_client(admin)
    assert kpi(client, "new_customers", **EMPTY)["value"] == 0
    assert kpi(client, "revenue", **EMPTY)["value"] == 0.00
    assert kpi(client, "referrals", **EMPTY)["value"] == 0


def test_order_list_purchased_filter_matches_the_drill_down(api_client, admin, people):
    body = kpi(api_client(admin), "average_order_value", **MARCH)
    response = api_client(admin).get(
        "/api/v1/orders",
        {
            "purchased": "true",
            "ordered_after": "2026-03-01T00:00:00Z",
            "ordered_before": "2026-04-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) == body["denominator"] == 4


def test_query_count_does_not_grow_with_data(
    api_client, admin, people, costs, django_assert_max_num_queries
):
    client = api_client(admin)
    for name in ("cac", "churn_rate", "retention_cohorts", "cltv", "revenue"):
        with django_assert_max_num_queries(14):
            kpi(client, name, **MARCH)
    for n in range(1, 8):
        order(people[n], "2026-03-28", "5")
    for name in ("cac", "churn_rate", "retention_cohorts", "cltv", "revenue"):
        with django_assert_max_num_queries(14):
            kpi(client, name, **MARCH)


def test_demo_data_gives_retention_values(api_client, django_user_model):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("demo", "--contacts", "120", "--accounts", "10", stdout=out, stderr=out)
    # 3 sales teams x 2 categories x 12 months
    assert SalesCost.objects.count() == 72
    admin = django_user_model.objects.get(username="admin")
    client = api_client(admin)
    year = {"from": (dt.date.today() - dt.timedelta(days=364)).isoformat()}
    for name in ("revenue", "average_order_value", "cac", "cltv", "repeat_purchase_rate"):
        body = kpi(client, name, **year)
        assert body["value"], (name, body)
    assert kpi(client, "retention_cohorts", **year)["extra"]["matrix"]["cohorts"]
