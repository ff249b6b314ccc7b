"""Engagement and service in a real browser, with real mail servers: an agent logs a call on a
contact and e-mails them (aiosmtpd receives it); the customer's e-mail reaches a support mailbox
on Dovecot and "Poll now" opens a case; the agent replies and resolves it; the CSAT link in the
e-mail the customer receives is answered, and the score shows on the contact page."""

import re
import time
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.core.testing.mailservers import SmtpTestServer
from cyclecrm.feedback.models import QueueSurvey, SurveyResponse
from cyclecrm.feedback.services import survey_create
from cyclecrm.integrations.models import MailboxPurpose
from cyclecrm.integrations.tests.conftest import (  # noqa: F401 (fixtures)
    attachments_in_tmp,
    huey_immediate,
    imap_server,
    smtp_server,
)
from cyclecrm.integrations.tests.factories import make_mailbox, make_message
from cyclecrm.support.models import Case, CaseStatus

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


def _compose_and_send(page: Page, fill: Callable[[], None]) -> None:
    card = page.locator(".email-compose")
    card.get_by_role("button").first.click()
    dialog = page.locator(".modal.show")
    expect(dialog.locator("textarea[name=body]")).to_be_visible()
    fill()
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.locator(".alert-success")).to_contain_text("queued")
    dialog.get_by_role("button", name="Close").click()


def test_engagement_to_csat(
    live_server,
    page: Page,
    transactional_db,
    admin,
    support_agent,
    teams,
    settings,
    smtp_server,  # noqa: F811
    imap_server,  # noqa: F811
    huey_immediate,  # noqa: F811
):
    # given: a customer, a support mailbox on Dovecot owned by the Support queue's agent, and a
    # CSAT survey the Support queue sends when a case is resolved
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": live_server.url}
    settings.DEFAULT_FROM_EMAIL = "crm@company.example"
    ada = make_contact(support_agent, first_name="Ada", last_name="Lovelace", email=CUSTOMER)
    folder = f"Support-{timezone.now():%H%M%S%f}"
    make_mailbox(
        imap_server,
        folder,
        name="Support inbox",
        purpose=MailboxPurpose.SUPPORT,
        owner=support_agent,
    )
    survey = survey_create(
        actor=admin,
        data={
            "name": "Support CSAT",
            "kind": "csat",
            "email_subject": "How did we do?",
            "queue_ids": [teams["support"].pk],
        },
    )
    assert QueueSurvey.objects.get().survey == survey
    _login(page, live_server, admin.username)
    contact_url = f"{live_server.url}/contacts/{ada.pk}/"

    # when: a call is logged from the contact page
    page.goto(contact_url)
    timeline = page.locator("section.timeline")
    timeline.locator("button[title='Log a call']").click()
    call_form = timeline.locator("form")
    call_form.locator("input[name=subject]").fill("Discussed the renewal")
    call_form.get_by_role("button", name="Save").click()
    # then: the timeline shows it
    expect(timeline.locator(".timeline-body")).to_contain_text("Discussed the renewal")

    # when: an e-mail is sent from the contact page
    def fill_contact_mail() -> None:
        page.locator(".modal.show input[name=subject]").fill("Your renewal")
        page.locator(".modal.show textarea[name=body]").fill("Dear Ada, here is the offer.")

    _compose_and_send(page, fill_contact_mail)
    # then: it reaches the SMTP server
    _wait_for_mail(smtp_server, 1)
    assert smtp_server.received[0].rcpt_tos == [CUSTOMER]
    assert smtp_server.received[0].message["Subject"] == "Your renewal"

    # when: the customer writes to support and the mailbox is polled from its settings page
    imap_server.deliver(
        make_message(
            sender=CUSTOMER,
            to=imap_server.username,
            subject="Invoice is wrong",
            body="The VAT rate on my invoice is wrong.",
            message_id="<inv-1@customer.example>",
        ),
        folder,
    )
    page.goto(f"{live_server.url}/settings/mailboxes/")
    page.get_by_role("row", name=re.compile("Support inbox")).get_by_role(
        "button", name="Poll now"
    ).click()
    expect(page.locator("body")).to_contain_text("1 new message(s)")
    # then: a case is open for Ada in the Support queue
    case = Case.objects.get(subject="Invoice is wrong")
    assert (case.contact_id, case.team_id) == (ada.pk, teams["support"].pk)

    # when: the agent replies from the case page and resolves the case
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("h1")).to_contain_text("Invoice is wrong")

    def fill_reply() -> None:
        page.locator(".modal.show textarea[name=body]").fill("We corrected the VAT rate.")

    _compose_and_send(page, fill_reply)
    _wait_for_mail(smtp_server, 2)
    assert smtp_server.received[1].message["Subject"] == f"Re: Invoice is wrong [{case.number}]"
    page.reload()
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("body")).to_contain_text("Resolved")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED

    # then: the customer receives the CSAT e-mail with a link
    _wait_for_mail(smtp_server, 3)
    csat_mail = smtp_server.received[2].message
    assert csat_mail["Subject"] == "How did we do?"
    text = csat_mail.get_body(("plain",)).get_content()
    link = re.search(re.escape(live_server.url) + r"/s/[A-Za-z0-9_-]+/", text).group(0)

    # when: the customer answers it on a phone (no login: a fresh browser context)
    customer = page.context.browser.new_context(viewport={"width": 375, "height": 740})
    try:
        answer = customer.new_page()
        answer.goto(link)
        assert answer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        answer.locator("label[for=score-5]").click()
        answer.fill("textarea[name=comment]", "Fixed in an hour!")
        answer.get_by_role("button", name="Send my answer").click()
        expect(answer.locator("h1")).to_contain_text("Thank you")
    finally:
        customer.close()
    response = SurveyResponse.objects.get()
    assert (response.score, response.case_id, response.category) == (5, case.pk, "satisfied")

    # then: the agent sees the score on the contact page
    page.goto(contact_url)
    scores = page.locator("#survey-scores")
    expect(scores).to_contain_text("Latest CSAT")
    expect(scores.locator(".survey-score")).to_have_text("5")
    expect(page.locator("section.timeline .timeline-body")).to_contain_text("CSAT 5")

    # and the survey page shows the figure with its n and draws the trend without script errors
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    expect(page.locator("#survey-overall")).to_contain_text("n = 1")
    expect(page.locator("#survey-responses")).to_contain_text("Fixed in an hour!")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('survey-chart'))"
    )
    assert errors == []
