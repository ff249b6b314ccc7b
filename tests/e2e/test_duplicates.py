"""Browser test of duplicate review: open the queue, review a cluster, pick a field value,
merge, see the survivor holding the merged record's task, undo."""

import pytest
from playwright.sync_api import Page, expect

from cyclecrm.activities.models import Task
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.duplicates.flagging import flag_for_review
from cyclecrm.dataquality.duplicates.matching import Candidate

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password


def test_review_merge_and_undo(live_server, page: Page, admin) -> None:
    # given: two records of one person, the newer one with a task and another title
    survivor = make_contact(admin, first_name="Ann", last_name="Lee", title="CEO")
    merged = make_contact(admin, first_name="Anne", last_name="Lee", title="Founder")
    Task.objects.create(title="Call Anne back", contact=merged)
    flag_for_review(
        record_type="contact",
        record_id=merged.pk,
        candidates=[Candidate(record_id=survivor.pk, score=0.93, reasons={"last_name": 1.0})],
    )
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # when: the reviewer opens the cluster, keeps the older record's title and merges
    page.goto(live_server.url + "/duplicates/")
    page.get_by_role("link", name="0.93").click()
    expect(page.get_by_text("Founder")).to_be_visible()
    page.locator(f"input[name=value__title][value='{survivor.pk}']").check()
    page.locator(f"input[name=survivor_id][value='{survivor.pk}']").check()
    page.get_by_role("button", name="Merge").click()

    # then: the survivor holds the task, the newest first name and the chosen title
    expect(page.get_by_role("button", name="Undo merge")).to_be_visible()
    page.get_by_role("link", name="Open the surviving record").click()
    expect(page.get_by_role("heading", name="Anne Lee")).to_be_visible()
    survivor.refresh_from_db()
    assert (survivor.first_name, survivor.title) == ("Anne", "CEO")
    assert Task.objects.get().contact_id == survivor.pk

    # when: the merge is undone
    page.go_back()
    page.get_by_role("button", name="Undo merge").click()

    # then: both records and the task are back
    expect(page.get_by_text("Merge undone")).to_be_visible()
    assert Contact.objects.get(pk=merged.pk).title == "Founder"
    assert Contact.objects.get(pk=survivor.pk).first_name == "Ann"
    assert Task.objects.get().contact_id == merged.pk
