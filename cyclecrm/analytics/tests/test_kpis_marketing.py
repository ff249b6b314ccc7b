"""Acquisition KPIs on spend and e-mail: cost per lead, campaign ROI and the e-mail rates."""

import pytest
from django.conf import settings

from cyclecrm.analytics.tests.kpi_helpers import at, backdate, kpi
from cyclecrm.campaigns.tests.factories import add_cost, make_campaign, touch
from cyclecrm.contacts.models import Contact
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.mailings.models import Mailing, MailingRecipient
from cyclecrm.pipeline.tests.factories import make_opportunity, make_pipeline

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
EMPTY = {"from": "2025-01-01", "to": "2025-01-31"}


@pytest.fixture
def spend(marketer, rep_a):
    """Spring (300.00 in March, 100.00 in February) sourced 3 March leads and is credited a
    1,000.00 deal won on 15 March; Autumn spent 200.00 in March and sourced nothing; one more
    March lead has no campaign."""
    spring = make_campaign(marketer, name="Spring")
    autumn = make_campaign(marketer, name="Autumn")
    add_cost(spring, "300.00", date=at("2026-03-05").date())
    add_cost(spring, "100.00", date=at("2026-02-20").date())
    add_cost(autumn, "200.00", date=at("2026-03-10").date())
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        backdate(make_lead(owner=rep_a, source_campaign=spring), created_at=at(day))
    backdate(make_lead(owner=rep_a), created_at=at("2026-03-06"))
    deal = make_opportunity(
        rep_a,
        pipeline=make_pipeline(),
        stage_name="Closed won",
        currency=settings.CYCLECRM["DEFAULT_CURRENCY"],
        created_at=at("2026-03-15"),
    )
    touch(spring, at("2026-03-01"), opportunity=deal)
    return {"spring": spring, "autumn": autumn}


def test_cost_per_lead_overall_and_by_campaign(api_client, admin, spend):
    body = kpi(api_client(admin), "cost_per_lead", group_by="campaign", **MARCH)
    # (300 + 200) / 4 leads = 125.00
    assert body["value"] == 125.0 and body["denominator"] == 4
    groups = {g["label"]: g for g in body["groups"]}
    assert groups["Spring"]["value"] == 100.0  # 300 / 3
    assert groups["Autumn"]["value"] is None  # 200 / 0 leads: no data, no division
    body = kpi(api_client(admin), "cost_per_lead", campaign=spend["spring"].pk, **MARCH)
    assert body["value"] == 100.0


def test_campaign_roi_uses_the_attributed_revenue(api_client, admin, spend):
    body = kpi(api_client(admin), "campaign_roi", group_by="campaign", **MARCH)
    # (1000 - 500) / 500 = 100 %
    assert body["value"] == 100.0
    groups = {g["label"]: g["value"] for g in body["groups"]}
    # Spring (1000 - 300) / 300 = 233.33 %; Autumn (0 - 200) / 200 = -100 %.
    assert groups == {"Spring": 233.33, "Autumn": -100.0}


def test_spend_metrics_without_data(api_client, admin, spend):
    for name in ("cost_per_lead", "campaign_roi"):
        body = kpi(api_client(admin), name, **EMPTY)
        assert body["value"] is None and body["no_data"]


@pytest.fixture
def mailing(marketer):
    """Sent in March: r1 opened + clicked, r2 opened, r3 bounced, r4 opened + unsubscribed,
    r5 nothing; r6 sent (and opened) in February; r7 never sent.
    sent 5, bounced 1, delivered 4, opened 3, clicked 1, unsubscribed 1."""
    mail = Mailing.objects.create(name="March news", subject="News", owner=marketer)
    march, feb = at("2026-03-10"), at("2026-02-10")
    rows = [
        (march, {"first_opened_at": march, "first_clicked_at": march}),
        (march, {"first_opened_at": march}),
        (march, {"state": "bounced", "bounced_at": march}),
        (march, {"first_opened_at": march, "unsubscribed_at": march}),
        (march, {}),
        (feb, {"first_opened_at": feb}),
        (None, {"state": "pending"}),
    ]
    for n, (sent_at, extra) in enumerate(rows, start=1):
        contact = Contact.objects.create(first_name=f"R{n}", email=f"r{n}@example.com")
        MailingRecipient.objects.create(
            mailing=mail,
            contact=contact,
            email=contact.email,
            token=f"{n:032d}",
            sent_at=sent_at,
            **{"state": "sent", **extra},
        )
    return mail


@pytest.mark.parametrize(
    ("name", "value", "numerator", "denominator"),
    [
        ("email_open_rate", 75.0, 3, 4),  # 3 opened / 4 delivered
        ("email_click_rate", 25.0, 1, 4),  # 1 clicked / 4 delivered
        ("click_to_open_rate", 33.33, 1, 3),  # 1 clicked / 3 opened
        ("unsubscribe_rate", 25.0, 1, 4),  # 1 / 4 delivered
        ("bounce_rate", 20.0, 1, 5),  # 1 bounced / 5 sent
    ],
)
def test_email_rates(api_client, admin, mailing, name, value, numerator, denominator):
    body = kpi(api_client(admin), name, **MARCH)
    assert body["value"] == value
    assert (body["numerator"], body["denominator"]) == (numerator, denominator)
    empty = kpi(api_client(admin), name, **EMPTY)
    assert empty["value"] is None and empty["no_data"]


def test_email_rate_series_and_groups(api_client, admin, mailing):
    client = api_client(admin)
    body = kpi(
        client, "email_open_rate", group_by="month", **{"from": "2026-01-01", "to": "2026-03-31"}
    )
    # January: nothing sent (no data); February 1 / 1; March 3 / 4.
    assert [p["value"] for p in body["series"]] == [None, 100.0, 75.0]
    body = kpi(client, "email_open_rate", group_by="mailing", **MARCH)
    (group,) = body["groups"]
    assert group["label"] == "March news" and group["value"] == 75.0
    assert group["drill_url"] == f"/mailings/{mailing.pk}/"


def test_a_rep_does_not_count_mailings_they_may_not_read(api_client, rep_a, mailing):
    body = kpi(api_client(rep_a), "email_open_rate", **MARCH)
    assert body["value"] is None and body["denominator"] == 0
