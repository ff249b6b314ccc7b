"""The HTTP measurements: every request goes to the running production server with the admin's
API token (or, for web pages, a session from a real log-in), as a client would send it.

Query terms are varied per request (the generator's name pools, e-mails of sample contacts),
so no two requests in a row ask the same thing; records read or written are distinct per
request where it matters (an update PATCHes a contact no other request touches)."""

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlencode

from cyclecrm.analytics.bench import FIRST_NAMES, LAST_NAMES
from cyclecrm.core.benchsuite.load import Client, HttpError, Operation, run_load
from cyclecrm.core.benchsuite.stats import summarise
from cyclecrm.core.benchsuite.target import Target

DASHBOARD_SLUGS = ("overview", "marketing", "sales", "service", "retention")
Report = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    requests: int = 400  # measured operations per measurement
    warmup: int = 40
    cold_runs: int = 3  # cold renders of each dashboard (the cache cleared before each)
    duration: float | None = None  # seconds: a measurement stops early when they have passed

    @property
    def samples(self) -> int:
        """Distinct sample contacts the measurements need (one per update)."""
        return self.requests + self.warmup + 10


def login(base_url: str, username: str, password: str) -> str:
    """Log in through /accounts/login/ like a browser (CSRF cookie and form token); returns
    the Cookie header of the signed-in session."""
    client = Client(base_url, {})
    try:
        status, headers, body = client.request("GET", "/accounts/login/")
        csrf_cookie = SimpleCookie(headers.get("set-cookie", ""))["csrftoken"].value
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or token is None:
            raise HttpError(f"log-in page: {status}")
        form = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
        )
        status, headers, body = client.request(
            "POST",
            "/accounts/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Referer": f"{base_url}/accounts/login/",
            },
        )
        session = SimpleCookie(headers.get("set-cookie", "")).get("sessionid")
        if status != 302 or session is None:
            raise HttpError(f"log-in refused: {status} {body[:200]!r}")
        return f"sessionid={session.value}; csrftoken={csrf_cookie}"
    finally:
        client.close()


def _get(path: Callable[[int], str]) -> Operation:
    return lambda client, index: client.call("GET", path(index))


def api_operations(prep: dict[str, Any], run_id: str) -> dict[str, Operation]:
    """The API measurements, by name."""
    samples = prep["samples"]
    cursors = prep["deep"]["cursors"] or [""]
    names = [name[:3] for name in LAST_NAMES] + [name[:4] for name in FIRST_NAMES]
    middles = [name[1:5] for name in LAST_NAMES if len(name) >= 5]
    emails = [row["email"].split("@")[0][:8] for row in samples if row.get("email")] or names

    def contacts(**params: Any) -> str:
        return "/api/v1/contacts?" + urlencode({"limit": 50, **params}, quote_via=quote)

    def detail_with_timeline(client: Client, index: int) -> None:
        pk = samples[index % len(samples)]["pk"]
        client.call("GET", f"/api/v1/contacts/{pk}")
        client.call("GET", f"/api/v1/contacts/{pk}/timeline?limit=20")

    def create(client: Client, index: int) -> None:
        body = {
            "first_name": FIRST_NAMES[index % len(FIRST_NAMES)],
            "last_name": f"Suite{run_id}x{index}",
            "email": f"suite-{run_id}-{index}@bench.example.org",
            "city": "Bath",
        }
        client.call("POST", "/api/v1/contacts", body)

    def update(client: Client, index: int) -> None:
        # Distinct per operation, so the version read by prepare() holds. force: at a million
        # contacts many share a name, and the likely-duplicate check would answer 409 for a
        # change that does not touch the name (the create measures that check).
        row = samples[index]
        body = {"version": row["version"], "city": "York", "force": True}
        client.call("PATCH", f"/api/v1/contacts/{row['pk']}", body)

    return {
        "api_list_first_page": _get(lambda i: contacts()),
        "api_list_deep_page": _get(lambda i: contacts(cursor=cursors[i % len(cursors)])),
        "api_search_name_prefix": _get(lambda i: contacts(q=names[i % len(names)])),
        "api_search_email_prefix": _get(lambda i: contacts(q=emails[i % len(emails)])),
        "api_search_substring": _get(lambda i: contacts(q=middles[i % len(middles)])),
        "api_detail_with_timeline": detail_with_timeline,
        "api_create": create,
        "api_update": update,
    }


def http_measurements(
    target: Target,
    prep: dict[str, Any],
    plan: Plan,
    clear_cache: Callable[[], None],
    report: Report,
) -> dict[str, dict[str, Any]]:
    """Every HTTP measurement on one target, in order (reads before writes)."""
    api = {"Authorization": f"Bearer {target.token}", "Accept": "application/json"}
    web = {"Cookie": target.session_cookie, "Accept": "text/html"}
    results: dict[str, dict[str, Any]] = {}

    def measure(name: str, headers: dict[str, str], operation: Operation, **kwargs: Any) -> None:
        report(f"  {name}")
        options = {"requests": plan.requests, "warmup": plan.warmup} | kwargs
        options["duration"] = plan.duration
        results[name] = run_load(target.base_url, headers, operation, **options)

    run_id = secrets.token_hex(3)
    for name, operation in api_operations(prep, run_id).items():
        measure(name, api, operation)
    results["api_list_deep_page"]["depth_rows"] = prep["deep"]["depth"]
    pages = max(8, plan.requests // 4)
    measure("web_contact_list", web, _get(lambda i: "/contacts/"), requests=pages)
    for slug in DASHBOARD_SLUGS:
        path = f"/analytics/{slug}/"
        report(f"  dashboard_{slug}_cold")
        results[f"dashboard_{slug}_cold"] = cold(target.base_url, web, path, plan, clear_cache)
        measure(f"dashboard_{slug}_warm", web, _get(lambda i, p=path: p), requests=pages)
    return results


def cold(
    base_url: str, headers: dict[str, str], path: str, plan: Plan, clear_cache: Callable[[], None]
) -> dict[str, Any]:
    """One request at a time, each after the cache was cleared."""
    client = Client(base_url, headers)
    latencies: list[float] = []
    problems: list[str] = []
    spent = 0.0
    try:
        for _ in range(plan.cold_runs):
            clear_cache()
            started = time.perf_counter()
            try:
                client.call("GET", path)
            except Exception as exc:  # counted and reported like the load client does
                client.close()
                problems.append(f"{type(exc).__name__}: {exc}"[:300])
            took = time.perf_counter() - started
            spent += took
            latencies.append(took)
    finally:
        client.close()
    result = summarise(latencies, errors=len(problems), elapsed=spent)
    result["concurrency"] = 1
    if problems:
        result["error_samples"] = problems[:5]
    return result
