"""Attribution on hand-built timelines with exact expected numbers, and a property: under every
model the credits add up to the won revenue of the touched opportunities."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.campaigns import attribution, selectors
from cyclecrm.campaigns.attribution import linear_shares
from cyclecrm.campaigns.services import record_touch
from cyclecrm.campaigns.tests.factories import add_cost, make_campaign, touch
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.pipeline.tests.factories import make_opportunity, make_rate

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def won(admin, pipeline, amount: str, closed: dt.datetime, **fields):
    return make_opportunity(
        admin,
        pipeline=pipeline,
        stage_name="Closed won",
        amount=Decimal(amount),
        created_at=closed,
        **fields,
    )


def test_linear_shares_sum_exactly_and_leftover_goes_to_the_earliest():
    assert linear_shares(Decimal("100.00"), 3, "USD") == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert linear_shares(Decimal("10"), 4, "JPY") == [
        Decimal(3),
        Decimal(3),
        Decimal(2),
        Decimal(2),
    ]
    assert sum(linear_shares(Decimal("0.05"), 7, "USD")) == Decimal("0.05")


def test_three_models_on_a_lead_to_deal_journey(admin, pipeline, t0):
    # given a lead touched by webinar then ads, converted into a deal of 900 also touched by
    # e-mail, then won; and an e-mail touch after the close, which does not count
    webinar, ads, email = (make_campaign(admin, name=n) for n in ("Webinar", "Ads", "E-mail"))
    contact = make_contact(admin, last_name="Buyer")
    deal = won(admin, pipeline, "900.00", t0 + 10 * D, contact=contact)
    lead = make_lead(admin, converted_opportunity=deal, converted_contact=contact)
    touch(webinar, t0, lead=lead)
    touch(ads, t0 + D, lead=lead)
    touch(email, t0 + 5 * D, contact=contact)
    touch(email, t0 + 20 * D, opportunity=deal)

    # when
    credits = attribution.attribute().credits

    # then
    assert credits[webinar.pk].first_touch == Decimal("900.00")
    assert credits[email.pk].last_touch == Decimal("900.00")
    assert credits[ads.pk].first_touch == credits[ads.pk].last_touch == 0
    assert [credits[c.pk].linear for c in (webinar, ads, email)] == [Decimal("300.00")] * 3
    assert all(credits[c.pk].customers == {deal.pk} for c in (webinar, ads, email))


def test_two_deals_share_credit_and_rounding_remainder_goes_first(admin, pipeline, t0):
    # given deal A (100.00) touched by X, Y, X and deal B (50.00) touched only by Y
    x, y = make_campaign(admin, name="X"), make_campaign(admin, name="Y")
    a = won(admin, pipeline, "100.00", t0 + 9 * D)
    b = won(admin, pipeline, "50.00", t0 + 9 * D)
    touch(x, t0, opportunity=a)
    touch(y, t0 + H, opportunity=a)
    touch(x, t0 + 2 * H, opportunity=a, channel="email_click")
    touch(y, t0, opportunity=b)

    credits = attribution.attribute().credits

    assert (credits[x.pk].first_touch, credits[x.pk].last_touch) == (
        Decimal("100.00"),
        Decimal("100.00"),
    )
    assert (credits[y.pk].first_touch, credits[y.pk].last_touch) == (
        Decimal("50.00"),
        Decimal("50.00"),
    )
    # A: 33.34 (X, earliest) + 33.33 (Y) + 33.33 (X); B: 50.00 to Y
    assert credits[x.pk].linear == Decimal("66.67")
    assert credits[y.pk].linear == Decimal("83.33")


def test_open_lost_and_zero_deals_earn_nothing(admin, pipeline, t0):
    c = make_campaign(admin)
    open_deal = make_opportunity(admin, pipeline=pipeline, amount=Decimal("500"))
    lost = make_opportunity(admin, pipeline=pipeline, stage_name="Closed lost", amount=Decimal("7"))
    zero = won(admin, pipeline, "0", t0 + D)
    for deal in (open_deal, lost, zero):
        touch(c, t0, opportunity=deal)

    assert attribution.attribute().credits == {}


def test_foreign_currency_is_converted_at_the_close_day_rate(admin, pipeline, t0):
    c = make_campaign(admin)
    make_rate("EUR", (t0 - 30 * D).date(), "1.10")
    deal = won(admin, pipeline, "1000.00", t0 + D, currency="EUR")
    touch(c, t0, opportunity=deal)

    assert attribution.attribute().credits[c.pk].linear == Decimal("1100.00")


def test_a_deal_without_a_rate_is_counted_as_unconverted(admin, pipeline, t0):
    c = make_campaign(admin)
    deal = won(admin, pipeline, "1000.00", t0 + D, currency="GBP")
    touch(c, t0, opportunity=deal)

    result = attribution.attribute()

    assert result.credits == {} and result.unconverted == 1


def test_campaign_figures_roi_and_costs(admin, pipeline, t0):
    # given a campaign costing 400 that sourced 4 leads and touched one won deal of 1000
    c = make_campaign(admin, budget=Decimal("500"))
    add_cost(c, "250.00")
    add_cost(c, "150.00")
    for _ in range(4):
        make_lead(admin, source_campaign=c)
    deal = won(admin, pipeline, "1000.00", t0 + D)
    touch(c, t0, opportunity=deal)

    figures = selectors.campaign_figures(campaign=c)

    assert figures.actual_cost == Decimal("400.00") and figures.budget == Decimal("500.00")
    assert figures.leads_sourced == 4 and figures.customers == 1
    assert figures.revenue == {name: Decimal("1000.00") for name in attribution.MODELS}
    assert figures.roi["linear"] == Decimal("1.5000")  # (1000 - 400) / 400
    assert figures.cost_per_lead == Decimal("100.00")
    assert figures.cost_per_customer == Decimal("400.00")


def test_figures_without_cost_have_no_roi(admin, pipeline, t0):
    c = make_campaign(admin)
    deal = won(admin, pipeline, "10.00", t0 + D)
    touch(c, t0, opportunity=deal)

    figures = selectors.campaign_figures(campaign=c)

    assert figures.roi == {name: None for name in attribution.MODELS}
    assert figures.cost_per_lead is None and figures.cost_per_customer == Decimal("0.00")


def test_figures_take_a_bounded_number_of_queries(
    admin, pipeline, t0, django_assert_max_num_queries
):
    c = make_campaign(admin)
    add_cost(c, "10")
    for i in range(25):
        contact = make_contact(admin, last_name=f"P{i}")
        deal = won(admin, pipeline, "100.00", t0 + D, contact=contact)
        touch(c, t0, contact=contact)
        touch(make_campaign(admin), t0 + H, opportunity=deal)

    with django_assert_max_num_queries(8):
        figures = selectors.campaign_figures(campaign=c)

    assert figures.revenue["first_touch"] == Decimal("2500.00")
    assert figures.revenue["linear"] == Decimal("1250.00")


# -- property: credits add up to the touched won revenue ------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
journeys = st.lists(
    st.tuples(
        amounts,
        st.lists(
            st.tuples(
                st.integers(0, 2),  # campaign
                st.sampled_from(["opportunity", "contact", "lead"]),
                st.integers(-5, 5),  # hours from the close (after the close: not counted)
                st.sampled_from(["manual", "email_click", "web_form"]),
            ),
            max_size=6,
        ),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(journeys=journeys)
def test_every_model_credits_exactly_the_touched_won_revenue(admin, pipeline, t0, journeys):
    with transaction.atomic():
        campaigns = [make_campaign(admin) for _ in range(3)]
        expected = Decimal(0)
        for amount, touches in journeys:
            contact = make_contact(admin)
            deal = won(admin, pipeline, str(amount), t0, contact=contact)
            lead = make_lead(admin, converted_opportunity=deal)
            counted = False
            for campaign_index, target, hours, channel in touches:
                subject = {"opportunity": deal, "contact": contact, "lead": lead}[target]
                recorded = record_touch(
                    campaign=campaigns[campaign_index],
                    channel=channel,
                    at=t0 + hours * H,
                    **{target: subject},
                )  # idempotent per day: a repeat keeps the first touch's time
                counted |= recorded.touched_at <= t0
            expected += amount if counted else 0

        result = attribution.attribute()

        assert result.touched_revenue == expected
        for model in attribution.MODELS:
            total = sum((getattr(credit, model) for credit in result.credits.values()), Decimal(0))
            assert total == expected, model
        transaction.set_rollback(True)
