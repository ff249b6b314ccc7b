"""Smoke tests: the browser machinery works and the app serves its login page and assets."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

VENDOR_ASSETS = [
    "vendor/htmx/htmx.min.js",
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/chartjs/chart.umd.min.js",
]


def test_chromium_launches(page: Page) -> None:
    page.set_content("<p>ok</p>")
    expect(page.locator("p")).to_have_text("ok")
    assert page.evaluate("1 + 1") == 2


@pytest.mark.parametrize("asset", VENDOR_ASSETS)
def test_vendor_assets_are_served(live_server, page: Page, asset: str) -> None:
    response = page.request.get(f"{live_server.url}/static/{asset}")
    assert response.ok, f"{asset}: HTTP {response.status} (run `make install` to build them)"
    assert len(response.body()) > 1000


def test_login_page_has_password_input(live_server, page: Page) -> None:
    page.goto(live_server.url + "/accounts/login/")
    expect(page.locator("input[type=password]")).to_be_visible()
