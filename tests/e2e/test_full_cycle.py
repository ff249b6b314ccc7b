"""Lead to customer in a real browser: a visitor sends the public web-to-lead form; a sales
user qualifies the lead, converts it (account, contact, opportunity), drags the opportunity on
the board, marks it won, and finds the onboarding checklist on the opportunity and account."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.leads.capture.testing import make_capture_form
from cyclecrm.leads.models import AssignmentKind, FormSubmission, Lead, LeadStatus
from cyclecrm.leads.tests.factories import make_assignment_rule
from cyclecrm.pipeline.models import Onboarding, Opportunity, StageChange, StageKind
from cyclecrm.pipeline.tests.factories import make_pipeline, stage

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def _login(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _drag(page: Page, card: Locator, target: Locator) -> None:
    """Mouse moves in small steps, as a person drags (SortableJS runs in fallback mode)."""
    card.scroll_into_view_if_needed()
    start = card.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=25)
    page.mouse.up()


def _submit_capture_form(page: Page, live_server, public_key: str) -> None:
    """The visitor's part: no login, just the public form page."""
    page.goto(f"{live_server.url}/f/{public_key}/")
    page.fill("#id_first_name", "Grace")
    page.fill("#id_last_name", "Hopper")
    page.fill("#id_email", "grace@compilers.example")
    page.fill("#id_company", "Compilers Inc")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".alert-success")).to_be_visible()


def test_lead_to_customer(live_server, page: Page, transactional_db, rep_a):
    # given: a sales pipeline, a published capture form, and new leads going to rep_a
    pipeline = make_pipeline("Sales", is_default=True)
    form = make_capture_form(name="Talk to sales")
    make_assignment_rule(AssignmentKind.ROUND_ROBIN, [rep_a])

    # when: a visitor sends the form
    _submit_capture_form(page, live_server, form.public_key)
    # then: a new open lead exists, linked to its submission and assigned to rep_a
    lead = Lead.objects.get(email="grace@compilers.example")
    assert lead.status == LeadStatus.OPEN and lead.capture_form_id == form.pk
    assert lead.owner_id == rep_a.pk
    assert FormSubmission.objects.get(form=form).lead_id == lead.pk

    # when: rep_a opens the lead and qualifies it
    _login(page, live_server, rep_a.username)
    page.goto(f"{live_server.url}/leads/")
    page.get_by_role("link", name=re.compile("Hopper")).first.click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    status_card = page.locator(".lead-status-card")
    expect(status_card).to_contain_text("Open")
    status_card.get_by_role("button", name="Qualify").click()
    expect(status_card).to_contain_text("Qualified")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED

    # when: they convert it with an opportunity
    status_card.get_by_role("link", name=re.compile("Convert to customer")).click()
    dialog = page.locator("#convert-dialog")
    expect(dialog).to_contain_text("a new account “Compilers Inc” will be created")
    dialog.locator("input[name=opportunity_name]").fill("Compilers Inc platform")
    dialog.locator("input[name=amount]").fill("12000")
    dialog.get_by_role("button", name="Convert").click()
    # then: the lead page says what was created, and the records exist
    expect(status_card).to_contain_text("Converted")
    expect(status_card.get_by_role("link", name="Compilers Inc platform")).to_be_visible()
    lead.refresh_from_db()
    account = Account.objects.get(pk=lead.converted_account_id)
    contact = Contact.objects.get(pk=lead.converted_contact_id)
    deal = Opportunity.objects.get(pk=lead.converted_opportunity_id)
    assert account.name == "Compilers Inc" and contact.email == "grace@compilers.example"
    assert deal.account_id == account.pk and deal.amount == Decimal("12000")
    assert {account.owner_id, contact.owner_id, deal.owner_id} == {rep_a.pk}
    assert deal.pipeline_id == pipeline.pk and deal.stage == stage(pipeline, "Prospecting")

    # when: they drag the opportunity's card to Proposal on the board
    proposal = stage(pipeline, "Proposal")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    card = page.locator(f"#card-{deal.pk}")
    expect(card).to_contain_text("Compilers Inc platform")
    _drag(page, card, page.locator(f'.board-cards[data-stage-id="{proposal.pk}"]'))
    # then: the card sits in Proposal with its new version
    moved = page.locator(f'.board-cards[data-stage-id="{proposal.pk}"] #card-{deal.pk}')
    expect(moved).to_have_attribute("data-version", str(deal.version + 1))
    deal.refresh_from_db()
    assert deal.stage == proposal and deal.probability == Decimal("50")

    # when: they open the opportunity and mark it won
    moved.get_by_role("link", name="Compilers Inc platform").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{deal.pk}/$"))
    won = stage(pipeline, "Closed won")
    assert won.kind == StageKind.WON
    page.locator(".stage-path").get_by_role("button", name="Closed won").click()
    # then: the stage path shows it won, and the onboarding checklist appears
    expect(page.locator(".stage-path [aria-current=step]")).to_have_text("Closed won")
    onboarding_card = page.locator("section[aria-labelledby=onboarding-title]")
    expect(onboarding_card).to_contain_text(re.compile(r"0 of \d+ steps done"))
    deal.refresh_from_db()
    assert deal.stage == won and deal.closed_at is not None
    assert list(
        StageChange.objects.filter(opportunity=deal).values_list("to_stage__name", flat=True)
    ) == ["Prospecting", "Proposal", "Closed won"]
    onboarding = Onboarding.objects.get(opportunity=deal)
    assert onboarding.account_id == account.pk
    step_titles = list(onboarding.steps.order_by("id").values_list("title", flat=True))
    assert step_titles

    # then: the steps are the opportunity's open tasks, and it has no quote yet
    tasks_card = page.locator("section.related-tasks")
    for title in step_titles:
        expect(tasks_card).to_contain_text(title)
    quotes_card = page.locator("#opportunity-quotes")
    expect(quotes_card).to_contain_text("No quotes you can see yet.")
    expect(quotes_card.get_by_role("link", name="New quote")).to_have_attribute(
        "href", f"/quotes/new/?opportunity={deal.pk}"
    )

    # when: they follow the link to the account page
    onboarding_card.get_by_role("link", name="On the account page").click()
    expect(page).to_have_url(re.compile(rf"/accounts/{account.pk}/$"))
    # then: the checklist lists every step
    checklist = page.locator(f"section[aria-labelledby=onboarding-{onboarding.pk}-title]")
    expect(checklist).to_contain_text(f"0 of {len(step_titles)} steps done")
    for title in step_titles:
        expect(checklist.get_by_role("link", name=title)).to_be_visible()
