"""Every page of the web UI an admin can reach carries the Content-Security-Policy and holds
nothing it would block: no inline script, no on*= handler, no javascript: URL, no style
attribute or element.

The pages are found by crawling, from every route without parameters, over a small demo data
set: links (`href`, `hx-get`) lead to the detail, edit and tab pages of real records. Each
route is visited a few times at most (different records or query strings).
"""

import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from cyclecrm.core.demo import DemoOptions, demo_build
from cyclecrm.core.testing.routes import all_routes
from cyclecrm.identity.models import User

pytestmark = pytest.mark.django_db

VISITS_PER_ROUTE = 2
MAX_PAGES = 1500
# Not crawled: they end the session, start downloads or are not pages.
SKIP_PREFIXES = ("/static/", "/api/", "/accounts/logout")
EXPECTED_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "data"}
JSON_TYPES = {"application/json", "application/ld+json"}


def url_scheme(value: str) -> str:
    """The scheme as a browser reads it: tabs and line breaks anywhere in the URL and leading
    control characters or spaces are ignored (`jav&#x09;ascript:` is `javascript:`)."""
    url = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(33))))
    scheme, colon, _ = url.partition(":")
    return scheme.lower() if colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""


class PageAudit(HTMLParser):
    """Collects what a strict CSP would block, and the same-site links to follow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler attribute")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}> style attribute")
            if name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}> htmx inline handler")
            if name in URL_ATTRIBUTES and url_scheme(value) == "javascript":
                self.problems.append(f"<{tag} {name}={value!r}> javascript: URL")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._inline_script = "src" not in values and values.get("type") not in JSON_TYPES
        for name in ("href", "hx-get"):
            if values.get(name, "").startswith("/") and tag != "link":
                self.links.append(values[name])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = False

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")


def _route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def _start_paths() -> list[str]:
    return [
        route.sample_path()
        for route in all_routes()
        if not route.has_parameters and not route.sample_path().startswith(SKIP_PREFIXES)
    ]


def _crawl(client: Client) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Visits pages breadth first; returns the status per path and the problems per path."""
    queue, seen, statuses = _start_paths(), set(), {}
    problems: dict[str, list[str]] = defaultdict(list)
    visits: Counter[str] = Counter()
    while queue and len(statuses) < MAX_PAGES:
        path = queue.pop(0)
        route = _route_of(urlsplit(path).path)
        if path in seen or route is None or visits[route] >= VISITS_PER_ROUTE:
            continue
        seen.add(path)
        visits[route] += 1
        response = client.get(path)
        statuses[path] = response.status_code
        if not response["Content-Type"].startswith("text/html"):
            continue
        policy = response.get("Content-Security-Policy", "")
        problems[path] += [f"CSP lacks {d}" for d in EXPECTED_DIRECTIVES if d not in policy]
        audit = PageAudit()
        audit.feed(response.content.decode())
        problems[path] += audit.problems
        queue += [link for link in audit.links if not link.startswith(SKIP_PREFIXES)]
    return statuses, {path: found for path, found in problems.items() if found}


@pytest.fixture
def demo_admin() -> User:
    demo_build(DemoOptions(contacts=40, accounts=5, batch_size=500), log=lambda _: None)
    return User.objects.get(username="admin")


def test_every_reachable_page_has_the_csp_and_nothing_it_blocks(demo_admin):
    client = Client()
    client.force_login(demo_admin)

    statuses, problems = _crawl(client)

    print(f"crawled {len(statuses)} pages")  # shown with -s: the breadth of the walk
    assert problems == {}
    assert [path for path, status in statuses.items() if status >= 500] == []
    assert len(statuses) > 300  # the crawl did reach the record pages, not just the menus


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<div style="color: red">x</div>',
        "<style>body { color: red }</style>",
        '<button hx-on:click="alert(1)">x</button>',
    ],
)
def test_the_page_audit_finds_what_the_csp_blocks(markup):
    audit = PageAudit()
    audit.feed(f"<html><body>{markup}</body></html>")

    assert audit.problems


def test_the_page_audit_passes_scripts_by_url_and_json_data():
    audit = PageAudit()
    audit.feed(
        '<script src="/static/js/app.js" defer></script>'
        '<script id="d" type="application/json">{"a": 1}</script><a href="/contacts/">x</a>'
    )

    assert audit.problems == []
    assert audit.links == ["/contacts/"]
