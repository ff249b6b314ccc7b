"""Browser test of customer intelligence: a lead page shows its conversion probability and the
factors behind it, a contact page its churn risk, CLV, RFM group and next offers, and the model
page the held-out ROC AUC. The rows are written directly (trainers are tested on their own)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from cyclecrm.catalog.tests.factories import make_product
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.intelligence.models import LeadInsight, ModelKind, Offer
from cyclecrm.intelligence.tests.conftest import FACTORS, add_insight, make_run
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def _log_in(page: Page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_predictions_on_lead_contact_and_model_pages(live_server, page: Page, manager) -> None:
    # given: a trained lead model that scored a lead, and a scored customer with two offers
    run = make_run(
        ModelKind.LEAD_CONVERSION, trained_on=400, evaluated_on=100, metrics={"roc_auc": 0.8421}
    )
    lead = make_lead(manager, last_name="Lovelace", company="Analytical Engines")
    LeadInsight.objects.create(
        lead=lead, conversion_probability=0.734, factors=FACTORS, model_run=run
    )
    contact = make_contact(manager, first_name="Rita", last_name="Risky")
    add_insight(
        contact,
        churn_probability=0.81,
        churn_band="high",
        predicted_clv=Decimal("1234.50"),
        rfm_group="Cannot lose them",
        recency_score=1,
        frequency_score=5,
        monetary_score=5,
    )
    for rank, name in enumerate(["Widget Pro", "Support plan"], start=1):
        Offer.objects.create(
            contact=contact, product=make_product(name=name), kind="upsell", rank=rank, score=0.5
        )
    _log_in(page, live_server.url, manager)

    # when/then: the lead page shows the probability and its factors
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    card = page.locator("#lead-prediction")
    expect(card.locator(".conversion-probability")).to_have_text("73.4 %")
    expect(card).to_contain_text("Budget confirmed")
    expect(card).to_contain_text("Employees")
    expect(card).to_contain_text("ROC AUC 0.842")

    # the contact page shows churn risk, CLV, RFM group and the offers in rank order
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    insight = page.locator("#customer-insight")
    expect(insight.locator(".churn-risk")).to_contain_text("High")
    expect(insight.locator(".churn-risk")).to_contain_text("81.0 %")
    expect(insight.locator(".predicted-clv")).to_contain_text("1,234.50")
    expect(insight.locator(".rfm-group")).to_contain_text("Cannot lose them")
    expect(insight.locator(".next-offers li")).to_have_text(
        [re.compile("Widget Pro"), re.compile("Support plan")]
    )

    # the model overview shows the lead model's held-out AUC and links to its page
    page.goto(f"{live_server.url}/intelligence/")
    model = page.locator("#model-lead_conversion")
    expect(model).to_contain_text("ROC AUC")
    expect(model).to_contain_text("0.8421")
    model.get_by_role("link", name="Lead conversion").click()
    expect(page.locator(".model-metrics")).to_contain_text("0.8421")
