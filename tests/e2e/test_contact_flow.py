"""The foundation's browser test: log in, create a contact, find it by search, edit a field
inline, and see the change in the record's history."""

import re

import pytest
from playwright.sync_api import Page, expect

from cyclecrm.identity.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


def log_in(page: Page, base_url: str) -> None:
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_create_search_inline_edit_and_history(live_server, page: Page) -> None:
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/contacts/new/")
    page.fill("main input[name=first_name]", "Ada")
    page.fill("main input[name=last_name]", "Lovelace")
    page.fill("main input[name=email]", " Ada@Example.ORG ")
    page.click("main form[method=post] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/contacts/\d+/$"))
    detail_url = page.url
    expect(page.locator("main")).to_contain_text("ada@example.org")

    page.goto(f"{live_server.url}/contacts/")
    page.fill("#list-filters input[name=q]", "lovel")
    results = page.locator("#list-results")
    expect(results).to_contain_text("Lovelace")
    results.get_by_role("link", name=re.compile("Lovelace")).first.click()
    expect(page).to_have_url(detail_url)

    page.click("#field-title")
    title_input = page.locator("form#field-title input[name=title]")
    expect(title_input).to_be_visible()
    title_input.fill("Countess of Lovelace")
    title_input.press("Enter")
    expect(page.locator("span#field-title")).to_contain_text("Countess of Lovelace")

    expect(page.locator("#history")).to_contain_text("Countess of Lovelace")
    page.reload()
    expect(page.locator("span#field-title")).to_contain_text("Countess of Lovelace")
