"""Browser test of an e-mail campaign: build a segment with the rule builder and watch its
count, write a mailing to it and watch the audience size, send it through the worker (Huey in
immediate mode) to the real SMTP test server, open the received message in the browser (its
pixel loads) and click its tracked link, then read 1 open and 1 click on the statistics."""

import re

import pytest
from playwright.sync_api import Page, expect

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.tests.conftest import huey_immediate, smtp_server  # noqa: F401
from cyclecrm.mailings.models import Mailing

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def login(page: Page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.usefixtures("huey_immediate")
def test_send_a_campaign_and_track_it(
    live_server, page: Page, marketer, settings, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("smtp_server")
    # given: two Germans who consented to e-mail and a French contact
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": live_server.url}
    settings.DEFAULT_FROM_EMAIL = "news@shop.example"
    make_contact(marketer, first_name="Anna", email="anna@example.com", country="DE",
                 consent_email=True)  # fmt: skip
    make_contact(marketer, first_name="Ben", email="ben@example.com", country="DE",
                 consent_email=True)  # fmt: skip
    make_contact(marketer, first_name="Chloé", email="chloe@example.com", country="FR",
                 consent_email=True)  # fmt: skip
    login(page, live_server.url, marketer)

    # when: a segment "country is DE" built with the rule builder, its count following
    page.goto(live_server.url + "/segments/new/")
    page.fill("input[name=name]", "Germans")
    count = page.get_by_test_id("segment-count")
    expect(count).to_have_text("3")
    builder = page.locator("#rule-builder")
    builder.get_by_role("button", name="+ Condition").click()
    row = builder.locator(".segment-condition").first
    row.get_by_label("Field").select_option("country")
    row.get_by_label("Value").fill("DE")
    expect(count).to_have_text("2")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#segment-count")).to_have_text("2")

    # and a mailing to it, the audience size shown under the picker
    page.goto(live_server.url + "/mailings/new/")
    page.fill("input[name=name]", "Autumn news")
    page.fill("input[name=subject]", "News for {{ contact.first_name }}")
    page.get_by_label("Audience segment").select_option(label="Germans")
    expect(page.locator("#audience-size")).to_contain_text("2 contacts")
    target = live_server.url + "/accounts/login/?from=mail"
    page.fill(
        "textarea[name=html_body]",
        f'<p>Hello {{{{ contact.first_name }}}}</p><p><a href="{target}">Read more</a></p>',
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Autumn news")).to_be_visible()

    # and sent (the worker runs in-process)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send now").click()
    expect(page.locator('[data-stat="sent"]')).to_have_text("2")
    assert sorted(a for m in server.received for a in m.rcpt_tos) == [
        "anna@example.com",
        "ben@example.com",
    ]

    # then: Anna opens her message (the pixel loads) and clicks its tracked link
    mail = next(m for m in server.received if m.rcpt_tos == ["anna@example.com"])
    html = mail.message.get_body(("html",)).get_content()
    assert "Hello Anna" in html and target not in html
    [pixel] = re.findall(r'<img src="([^"]+)"', html)
    reader = page.context.new_page()
    with reader.expect_response(lambda r: r.url == pixel and r.status == 200):
        reader.set_content(html)
    reader.get_by_role("link", name="Read more").click()
    reader.wait_for_url(lambda url: "from=mail" in url)
    reader.close()

    # and the statistics show one open and one click
    mailing = Mailing.objects.get(name="Autumn news")
    page.goto(f"{live_server.url}/mailings/{mailing.pk}/")
    expect(page.locator('[data-stat="opened"]')).to_contain_text("1")
    expect(page.locator('[data-stat="clicked"]')).to_contain_text("1")
    expect(page.locator('[data-stat="click_to_open"]')).to_have_text("100 %")
