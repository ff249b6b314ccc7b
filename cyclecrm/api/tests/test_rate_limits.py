"""Per-token API rate limits: 429 with Retry-After, budgets per token and per kind (read/write),
a new window lifts the limit. Time is moved by hand, never waited for."""

import pytest
from django.test import Client

from cyclecrm.core import ratelimit
from cyclecrm.core.testing.factories import make_token

JSON = "application/json"


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, frozen mid-window; `clock.now += 60` moves it."""

    class Clock:
        now = 1_000_040.0

    monkeypatch.setattr(ratelimit.time, "time", lambda: Clock.now)
    return Clock


@pytest.fixture
def small_limits(settings):
    settings.CYCLECRM = {
        **settings.CYCLECRM,
        "RATE_LIMITS": {"api_read": "3/60", "api_write": "2/60", "public": "2/60"},
    }


def _client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_exceeding_the_read_budget_is_429_with_retry_after(rep_a, small_limits, clock):
    # given a token with a budget of 3 reads a minute
    client = _client(make_token(rep_a))
    for _ in range(3):
        assert client.get("/api/v1/contacts").status_code == 200

    # when it reads a fourth time in the same window
    response = client.get("/api/v1/contacts")

    # then it is refused until the window ends (40 s after the frozen clock)
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert response.json()["error"]["code"] == "rate_limited"


def test_another_token_is_not_affected(rep_a, rep_b, small_limits, clock):
    flooding = _client(make_token(rep_a))
    for _ in range(4):
        flooding.get("/api/v1/contacts")
    assert flooding.get("/api/v1/contacts").status_code == 429

    assert _client(make_token(rep_b)).get("/api/v1/contacts").status_code == 200
    # a second token of the same user has its own budget too
    assert _client(make_token(rep_a)).get("/api/v1/contacts").status_code == 200


def test_the_next_window_lifts_the_limit(rep_a, small_limits, clock):
    client = _client(make_token(rep_a))
    for _ in range(4):
        client.get("/api/v1/contacts")
    assert client.get("/api/v1/contacts").status_code == 429

    clock.now += 40

    assert client.get("/api/v1/contacts").status_code == 200


def test_reads_and_writes_have_separate_budgets(rep_a, small_limits, clock):
    client = _client(make_token(rep_a))
    for _ in range(3):
        client.get("/api/v1/contacts")
    assert client.get("/api/v1/contacts").status_code == 429

    # writes still pass while reads are spent ...
    for name in ("Lovelace", "Hopper"):
        response = client.post("/api/v1/contacts", {"last_name": name}, content_type=JSON)
        assert response.status_code == 201
    # ... until their own budget is spent
    response = client.post("/api/v1/contacts", {"last_name": "Turing"}, content_type=JSON)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_refused_writes_store_nothing(rep_a, small_limits, clock):
    from cyclecrm.contacts.models import Contact

    client = _client(make_token(rep_a))
    for index in range(5):
        client.post("/api/v1/contacts", {"last_name": f"N{index}"}, content_type=JSON)

    assert Contact.objects.count() == 2


def test_browser_session_is_limited_per_user(web_client, rep_a, small_limits, clock):
    client = web_client(rep_a)
    for _ in range(3):
        assert client.get("/api/v1/users/me").status_code == 200

    assert client.get("/api/v1/users/me").status_code == 429


def test_public_api_operations_are_limited_per_client_address(db, small_limits, clock):
    client = Client()
    statuses = [
        client.post("/api/v1/public/surveys/forged-token", {}, content_type=JSON).status_code
        for _ in range(3)
    ]

    assert statuses[:2] != [429, 429] and statuses[2] == 429
    other_address = Client(REMOTE_ADDR="10.0.0.2")
    assert (
        other_address.post("/api/v1/public/surveys/forged-token", {}, content_type=JSON).status_code
        != 429
    )


def test_switched_off_budget_never_limits(rep_a, settings, clock):
    settings.CYCLECRM = {**settings.CYCLECRM, "RATE_LIMITS": {"api_read": ""}}
    client = _client(make_token(rep_a))

    assert all(client.get("/api/v1/users/me").status_code == 200 for _ in range(20))


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("", 0, "192.0.2.1"),
        ("203.0.113.9", 0, "192.0.2.1"),  # no trusted proxy: the header is ignored
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # a forged left-hand entry is skipped
        ("6.6.6.6, 203.0.113.9, 10.0.0.10", 2, "203.0.113.9"),
    ],
)
def test_client_address_behind_trusted_proxies(rf, settings, forwarded, proxies, expected):
    settings.CYCLECRM = {**settings.CYCLECRM, "TRUSTED_PROXY_COUNT": proxies}
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert ratelimit.client_ip(request) == expected
