"""Loyalty and advocacy in a real browser: an admin enrols a customer from the contact page, marks
their order paid and sees the points; redeems a reward and confirms it on the redemptions page;
creates the customer's referral link, which a friend opens and sends the capture form from; asks
the customer for a review by e-mail (aiosmtpd receives it), the customer writes it, and a marketer
approves it in the moderation queue and finds it in the testimonial export."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from cyclecrm.advocacy.models import Review, ReviewStatus
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.core.testing.mailservers import SmtpTestServer
from cyclecrm.integrations.tests.conftest import (  # noqa: F401 (fixtures)
    attachments_in_tmp,
    huey_immediate,
    smtp_server,
)
from cyclecrm.leads.capture.testing import make_capture_form
from cyclecrm.leads.models import Lead
from cyclecrm.loyalty.models import Member, Redemption, RedemptionStatus, Referral
from cyclecrm.loyalty.tests.earning_factories import (
    make_program,
    make_rule,
    place_order,
    priced_product,
)
from cyclecrm.loyalty.tests.reward_factories import make_reward, make_tiers

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password
CUSTOMER = "ada@example.com"


def _login(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _wait_for_mail(smtp: SmtpTestServer, count: int, timeout: float = 15) -> None:
    """The e-mail job runs in the live server's thread; wait until the server has `count`."""
    deadline = time.monotonic() + timeout
    while len(smtp.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp.received) >= count, [m.message["Subject"] for m in smtp.received]


def test_loyalty_and_advocacy_cycle(
    live_server,
    page: Page,
    transactional_db,
    admin,
    marketer,
    settings,
    smtp_server,  # noqa: F811
    huey_immediate,  # noqa: F811
):
    # given: a program earning 1 point per EUR with tiers and a 50-point reward, a referral
    # capture form, and a customer with an e-mail and a pending 200 EUR order
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": live_server.url}
    settings.DEFAULT_FROM_EMAIL = "crm@company.example"
    program = make_program(name="Cycle Club")
    make_rule(program, points_per_unit="1", name="Spend")
    make_tiers(program)
    make_reward(program, name="Bottle cage", points_cost=50)
    make_capture_form(name="Refer a friend")
    ada = make_contact(admin, first_name="Ada", last_name="Lovelace", email=CUSTOMER)
    order = place_order(admin, ada, [(priced_product("100.00"), 2)])
    page.on("dialog", lambda dialog: dialog.accept())  # the order page confirms status moves
    _login(page, live_server, admin.username)
    contact_url = f"{live_server.url}/contacts/{ada.pk}/"

    # when: the customer is enrolled from the contact page
    page.goto(contact_url)
    loyalty = page.locator("#loyalty")
    loyalty.get_by_role("button", name="Enrol in Cycle Club").click()
    # then: the panel shows the membership with no points yet
    expect(loyalty.locator("[data-balance]")).to_have_text("0")
    member = Member.objects.get(contact=ada, program=program)

    # when: the order is marked paid on the order page
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("#order-actions").get_by_role("button", name="Mark as paid").click()
    expect(page.locator("h1")).to_contain_text("Paid")
    # then: the contact earned 200 points (1 per EUR)
    page.goto(contact_url)
    expect(loyalty.locator("[data-balance]")).to_have_text("200")

    # when: the reward is redeemed from the contact panel
    loyalty.locator("select[name=reward]").select_option(label="Bottle cage (50)")
    loyalty.get_by_role("button", name="Redeem").click()
    # then: the balance drops by its cost and the redemption waits on the redemptions page
    expect(loyalty.locator("[data-balance]")).to_have_text("150")
    page.goto(f"{live_server.url}/loyalty/redemptions/")
    row = page.locator("#redemptions tbody tr", has_text="Bottle cage")
    expect(row).to_contain_text("Lovelace")
    expect(row).to_contain_text("Reserved")
    # when: it is confirmed there
    row.get_by_role("button", name="Confirm").click()
    expect(row).to_contain_text("Confirmed")
    assert Redemption.objects.get(member=member).status == RedemptionStatus.CONFIRMED
    member.refresh_from_db()
    assert member.balance == 150

    # when: a referral code is created on the contact page
    page.goto(contact_url)
    referrals = page.locator("#contact-referrals")
    referrals.get_by_role("button", name="Create a referral code").click()
    # then: the copy button's target holds the link to the referral form
    target = referrals.locator("[data-referral-copy]").get_attribute("data-referral-copy")
    link = page.locator(target).inner_text().strip()
    assert re.fullmatch(re.escape(live_server.url) + r"/f/[^/]+/\?ref=\S+", link), link
    # and the copy button puts that link on the clipboard
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    referrals.get_by_role("button", name="Copy").click()
    expect(referrals.locator("[data-copy-label]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link

    # when: a friend opens the link (no login) and sends the form
    friend = page.context.browser.new_context()
    try:
        visitor = friend.new_page()
        visitor.goto(link)
        visitor.fill("#id_first_name", "Grace")
        visitor.fill("#id_last_name", "Hopper")
        visitor.fill("#id_email", "grace@compilers.example")
        visitor.get_by_role("button", name="Send").click()
        expect(visitor.locator(".alert-success")).to_be_visible()
    finally:
        friend.close()
    # then: the referrals page shows the lead, attributed to Ada
    lead = Lead.objects.get(email="grace@compilers.example")
    assert Referral.objects.get(lead=lead).referrer_id == ada.pk
    page.goto(f"{live_server.url}/referrals/")
    referral_row = page.locator("tbody tr", has_text="Hopper")
    expect(referral_row.locator("td").nth(1)).to_contain_text("Lovelace")

    # when: a review is asked for from the contact page
    page.goto(contact_url)
    page.locator("#contact-reviews").get_by_role("button", name="Ask for a review").click()
    expect(page.locator("body")).to_contain_text(f"Review request sent to {CUSTOMER}")
    # then: the customer receives the e-mail with the review link
    _wait_for_mail(smtp_server, 1)
    mail = smtp_server.received[-1]
    assert mail.rcpt_tos == [CUSTOMER]
    html = mail.message.get_body(("html", "plain")).get_content()
    review_link = re.search(re.escape(live_server.url) + r"/r/[A-Za-z0-9_-]+/", html).group(0)

    # when: the customer answers it (no login) with a rating, a text and consent to publish
    customer = page.context.browser.new_context()
    try:
        answer = customer.new_page()
        answer.goto(review_link)
        answer.locator("label[for=rating-5]").click()
        answer.fill("#title", "Best bike shop")
        answer.fill("#text", "Fast service and friendly people.")
        answer.check("#publish_consent")
        answer.check("#publish_name")
        answer.get_by_role("button", name="Send my review").click()
        expect(answer.locator("h1")).to_contain_text("Thank you")
    finally:
        customer.close()
    review = Review.objects.get(contact=ada)
    assert (review.rating, review.status) == (5, ReviewStatus.PENDING)

    # when: a marketer approves it in the moderation queue
    page.context.clear_cookies()
    _login(page, live_server, marketer.username)
    page.goto(f"{live_server.url}/reviews/?status=pending")
    review_row = page.locator(f"#review-{review.pk}")
    review_row.get_by_role("button", name="Approve").click()
    # then: it is approved and in the testimonial export
    expect(page.locator(f"#review-{review.pk}")).to_contain_text("Approved")
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    page.reload()
    expect(page.locator("main")).to_contain_text("1 approved review, average 5")
    export = page.request.get(f"{live_server.url}/reviews/testimonials.csv")
    assert export.ok
    assert "Fast service and friendly people." in export.text()
    assert "Ada" in export.text()
