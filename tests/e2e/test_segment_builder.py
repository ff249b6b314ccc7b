"""Browser test of the segment rule builder: build a nested rule with the form controls, watch
the live member count follow, save, and find the rules stored as built."""

import pytest
from playwright.sync_api import Page, expect

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments.models import Segment

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def test_build_a_nested_segment(live_server, page: Page, marketer) -> None:
    # given: two German contacts (one a customer) and a French one
    make_contact(marketer, last_name="Alt", country="DE", lifecycle_stage="customer")
    make_contact(marketer, last_name="Brandt", country="DE", lifecycle_stage="lead")
    make_contact(marketer, last_name="Cohen", country="FR", lifecycle_stage="lead")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", marketer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # when: country is DE, and a nested group: not (stage is customer)
    page.goto(live_server.url + "/segments/new/")
    page.fill("input[name=name]", "German prospects")
    count = page.get_by_test_id("segment-count")
    expect(count).to_have_text("3")
    builder = page.locator("#rule-builder")
    builder.get_by_role("button", name="+ Condition").click()
    row = builder.locator(".segment-condition").first
    row.get_by_label("Field").select_option("country")
    row.get_by_label("Value").fill("DE")
    expect(count).to_have_text("2")
    builder.get_by_role("button", name="+ Group").first.click()
    inner = builder.locator(".segment-group .segment-group")
    inner.locator("input[type=checkbox]").check()
    inner.get_by_role("button", name="+ Condition").click()
    inner_row = inner.locator(".segment-condition")
    inner_row.get_by_label("Field").select_option("lifecycle_stage")
    inner_row.get_by_label("Value").select_option("customer")
    expect(count).to_have_text("1")
    page.get_by_role("button", name="Save").click()

    # then: the detail page lists the one member and the rules are stored as built
    expect(page.locator("#segment-count")).to_have_text("1")
    assert Segment.objects.get().rules == {
        "all": [
            {"field": "country", "op": "eq", "value": "DE"},
            {"not": {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]}},
        ]
    }
