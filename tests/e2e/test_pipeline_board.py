"""The pipeline board in a real browser: dragging a card moves the opportunity (column totals
follow), a lost column asks for the reason first, and a stale card goes back with a message."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from cyclecrm.pipeline.models import Opportunity, StageChange
from cyclecrm.pipeline.tests.factories import make_opportunity, make_pipeline, stage

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def _login(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _column(page: Page, stage_id: int) -> Locator:
    return page.locator(f'.board-cards[data-stage-id="{stage_id}"]')


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


@pytest.fixture
def board(transactional_db, rep_a):
    pipeline = make_pipeline("Sales", is_default=True)
    deal = make_opportunity(
        rep_a,
        pipeline=pipeline,
        name="Drag me",
        amount=Decimal("1000"),
        expected_close_date=dt.date.today() + dt.timedelta(days=10),
    )
    other = make_opportunity(
        rep_a,
        pipeline=pipeline,
        name="Stay here",
        amount=Decimal("500"),
        expected_close_date=dt.date.today() + dt.timedelta(days=20),
    )
    return {"pipeline": pipeline, "deal": deal, "other": other}


def test_dragging_a_card_moves_the_opportunity(live_server, page: Page, board, rep_a):
    pipeline, deal = board["pipeline"], board["deal"]
    prospecting, proposal = stage(pipeline, "Prospecting"), stage(pipeline, "Proposal")
    _login(page, live_server, "rep_a")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    expect(page.locator(f"#col-head-{prospecting.pk} .board-count")).to_have_text("2")
    # when
    _drag(page, page.locator(f"#card-{deal.pk}"), _column(page, proposal.pk))
    # then: the card is in the new column with its new version, and the totals followed
    expect(_column(page, proposal.pk).locator(f"#card-{deal.pk}")).to_have_attribute(
        "data-version", "2"
    )
    expect(page.locator(f"#col-head-{proposal.pk} .board-count")).to_have_text("1")
    expect(page.locator(f"#col-head-{proposal.pk} .board-total")).to_have_text("1,000.00 USD")
    expect(page.locator(f"#col-head-{prospecting.pk} .board-count")).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage == proposal and deal.probability == Decimal("50")
    assert StageChange.objects.filter(opportunity=deal, to_stage=proposal).count() == 1


def test_a_lost_column_asks_for_the_reason(live_server, page: Page, board, rep_a):
    pipeline, deal = board["pipeline"], board["deal"]
    lost = stage(pipeline, "Closed lost")
    _login(page, live_server, "rep_a")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    _drag(page, page.locator(f"#card-{deal.pk}"), _column(page, lost.pk))
    modal = page.locator("#lost-modal")
    expect(modal).to_be_visible()
    modal.get_by_role("button", name="Mark as lost").click()
    expect(page.locator("#lost-reason")).to_have_class("form-control is-invalid")
    page.fill("#lost-reason", "Chose a competitor")
    modal.get_by_role("button", name="Mark as lost").click()
    expect(_column(page, lost.pk).locator(f"#card-{deal.pk}")).to_be_visible()
    expect(page.locator(f"#col-head-{lost.pk} .board-count")).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage == lost and deal.lost_reason == "Chose a competitor"
    assert deal.closed_at is not None


def test_a_stale_card_goes_back_with_a_message(live_server, page: Page, board, rep_a):
    pipeline, deal = board["pipeline"], board["deal"]
    prospecting, negotiation = stage(pipeline, "Prospecting"), stage(pipeline, "Negotiation")
    _login(page, live_server, "rep_a")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    # someone else changes the opportunity after the board was drawn
    Opportunity.objects.filter(pk=deal.pk).update(version=5)
    _drag(page, page.locator(f"#card-{deal.pk}"), _column(page, negotiation.pk))
    expect(page.locator("#board-alert")).to_contain_text("Someone else changed")
    expect(_column(page, prospecting.pk).locator(f"#card-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == prospecting
    assert not StageChange.objects.filter(opportunity=deal, to_stage=negotiation).exists()
