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


def _budget(response) -> tuple[str, str, str]:
    return (
        response["RateLimit-Limit"],
        response["RateLimit-Remaining"],
        response["RateLimit-Reset"],
    )


def test_every_limited_response_tells_the_budget(rep_a, small_limits, clock):
    # given a token with 3 reads a minute, 40 s before the window ends
    client = _client(make_token(rep_a))

    # when it reads until refused
    responses = [client.get("/api/v1/contacts") for _ in range(4)]

    # then each answer counts down, and the refusal says when to come back
    assert [_budget(r) for r in responses] == [
        ("3", "2", "40"),
        ("3", "1", "40"),
        ("3", "0", "40"),
        ("3", "0", "40"),
    ]
    assert responses[3].status_code == 429
    assert responses[3]["Retry-After"] == "40"


def test_error_answers_and_writes_carry_their_own_budget(rep_a, small_limits, clock):
    client = _client(make_token(rep_a))

    missing = client.get("/api/v1/contacts/999999999")
    invalid = client.get("/api/v1/contacts/not-a-number")
    write = client.post("/api/v1/contacts", {"bogus": 1}, content_type=JSON)

    assert (missing.status_code, _budget(missing)) == (404, ("3", "2", "40"))
    assert (invalid.status_code, _budget(invalid)) == (422, ("3", "1", "40"))
    assert (write.status_code, _budget(write)) == (422, ("2", "1", "40"))


def test_public_operations_and_pages_tell_the_address_budget(db, small_limits, clock):
    api = Client().post("/api/v1/public/surveys/forged-token", {}, content_type=JSON)
    page = Client(REMOTE_ADDR="10.0.0.3").get("/s/forged-token/")
    refused = [Client(REMOTE_ADDR="10.0.0.4").get("/s/forged-token/") for _ in range(3)][-1]

    assert _budget(api) == ("2", "1", "40")
    assert _budget(page) == ("2", "1", "40")
    assert refused.status_code == 429
    assert (refused["Retry-After"], *_budget(refused)) == ("40", "2", "0", "40")


def test_no_budget_no_headers(rep_a, settings, clock):
    settings.CYCLECRM = {**settings.CYCLECRM, "RATE_LIMITS": {"api_read": ""}}

    response = _client(make_token(rep_a)).get("/api/v1/users/me")
    unauthenticated = Client().get("/api/v1/users/me")

    assert response.status_code == 200 and "RateLimit-Limit" not in response
    assert unauthenticated.status_code == 401 and "RateLimit-Limit" not in unauthenticated


class CountingCache:
    """The limiter's cache, recording the name of every call made to it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        method = getattr(self.inner, name)

        def call(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return call


def test_the_headers_cost_no_extra_cache_round_trip(rep_a, small_limits, clock, monkeypatch):
    counting = CountingCache(ratelimit.cache)
    monkeypatch.setattr(ratelimit, "cache", counting)

    response = _client(make_token(rep_a)).get("/api/v1/contacts")

    assert response["RateLimit-Remaining"] == "2"
    assert counting.calls == ["add", "incr"]


def test_the_schema_documents_429_with_its_headers_on_every_operation(db):
    schema = Client().get("/api/v1/openapi.json").json()
    refused = schema["components"]["responses"]["RateLimited"]

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"].get("429") == {
                "$ref": "#/components/responses/RateLimited"
            }, f"{method.upper()} {path} does not document 429"
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert set(refused["headers"]) == {
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    }
