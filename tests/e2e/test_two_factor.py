"""Two-factor authentication in the browser: a role that requires it sends a new user to
enrolment (QR code and key), a code computed from the shown key turns it on, and the next login
asks for a second factor, passed here with one of the backup codes shown once."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from cyclecrm.identity.models import Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


def log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", "rep")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_required_enrolment_then_login_with_a_backup_code(live_server, page: Page) -> None:
    role = Role.objects.get(name="sales_rep")
    role.requires_two_factor = True
    role.save(update_fields=["requires_two_factor"])
    User.objects.create_user("rep", "rep@example.com", PASSWORD).roles.add(role)

    log_in(page, live_server.url)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/"))
    expect(page.locator("main [aria-label='QR code'] svg")).to_be_visible()
    page.goto(f"{live_server.url}/contacts/")  # nothing else opens before enrolment
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/"))

    secret = page.locator("main code").inner_text().strip()
    page.fill("#id_token", f"{TOTP(b32decode(secret)).token():06d}")
    page.click("main form button[type=submit]")
    codes = page.locator("[data-testid=backup-codes] li")
    expect(codes).to_have_count(10)
    backup_code = codes.first.inner_text().strip()

    page.goto(f"{live_server.url}/contacts/")
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    page.evaluate("document.querySelector(\"form[action$='/logout/']\").submit()")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    log_in(page, live_server.url)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    page.fill("#id_token", backup_code)
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/accounts/"))
    page.goto(f"{live_server.url}/contacts/")
    expect(page).to_have_url(re.compile(r"/contacts/$"))
