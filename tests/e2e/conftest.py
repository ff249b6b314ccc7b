"""Playwright fixtures for the browser tests (`make e2e`).

Browser tests use pytest-django's `live_server` fixture together with `page`, and mark
themselves with ``pytestmark = pytest.mark.e2e``:

    pytestmark = pytest.mark.e2e

    def test_login(live_server, page):
        page.goto(live_server.url + "/accounts/login/")

Chromium is Debian's package at /usr/bin/chromium (override with E2E_CHROMIUM); Playwright's own
browser downloads are never used. On a failing test a screenshot is saved to
test-artifacts/<test name>.png (override the directory with E2E_ARTIFACTS_DIR).
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

# Playwright's sync API runs an asyncio event loop in the main thread; without this, Django's
# ORM refuses to run from test code (SynchronousOnlyOperation). Must be set before any query.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = int(os.environ.get("E2E_TIMEOUT_MS", "30000"))

expect.set_options(timeout=TIMEOUT_MS)

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: run `make e2e` (installs Debian's chromium package) "
            "or set E2E_CHROMIUM",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _artifacts_dir(config: pytest.Config) -> Path:
    return Path(os.environ.get("E2E_ARTIFACTS_DIR", config.rootpath / "test-artifacts"))


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page in its own browser context (no shared cookies or storage between tests)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: _note_csp_violation(message.text, violations))
    yield page
    report = request.node.stash.get(_reports, {}).get("call")
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
        path = _artifacts_dir(request.config) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"\nscreenshot saved: {path}")
        except Exception as exc:  # a broken page must not hide the real failure
            print(f"\ncould not save screenshot {path}: {exc}")
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


def _note_csp_violation(text: str, violations: list[str]) -> None:
    """Chromium reports what the CSP blocked on the console ("Refused to ... because it
    violates the following Content Security Policy directive"); every browser test fails on it
    (docs/security.md, "Web hardening")."""
    if "Content Security Policy" in text:
        violations.append(text)
