"""The API reference (/api/v1/docs, django-ninja's Swagger UI) renders under our strict
Content-Security-Policy with every asset served from this server: the `page` fixture fails on
any CSP violation, and no request may leave the live server (no CDN at run time)."""

import pytest
from playwright.sync_api import Page, Request, expect

pytestmark = pytest.mark.e2e


def test_api_docs_list_the_operations_under_the_csp(live_server, page: Page) -> None:
    foreign: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith((live_server.url, "data:")):
            foreign.append(request.url)

    page.on("request", note)
    response = page.goto(live_server.url + "/api/v1/docs")

    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/contacts").first).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="contacts").first).to_be_visible()
    assert page.locator(".opblock").count() > 100
    assert foreign == []
