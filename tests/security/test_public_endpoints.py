"""Every public (no login) page and endpoint: a forged token is a plain 404 that says nothing
about why, and a flood from one address is 429 with Retry-After while other addresses pass.

Replay and tampering of real tokens are covered where the tokens are made: feedback
test_public.py (answered once), mailings and nurture test_tracking.py (tampered tracking links
404, opens and clicks counted once), leads test_capture_submissions.py (form tokens)."""

import re

import pytest
from django.test import Client

JSON = "application/json"
# Short enough for every path parameter (form keys: 32 characters); the second one looks signed.
FORGED = ("AAAAforgedAAAA", "eyJ4IjoxfQ:1tZZZZ:forgedsig")
# The page's CSRF token differs on every response; it says nothing about the link.
_CSRF = re.compile(rb"[A-Za-z0-9]{64}")

# (method, URL with {token}, budget, expected status for a forged token)
PUBLIC_ENDPOINTS = [
    ("get", "/f/{token}/", "public", 404),
    ("post", "/f/{token}/", "public", 404),
    ("get", "/f/confirm/{token}/", "public", 404),
    ("get", "/s/{token}/", "public", 404),
    ("post", "/s/{token}/", "public", 404),
    ("get", "/r/{token}/", "public", 404),
    ("post", "/r/{token}/", "public", 404),
    ("get", "/l/{token}/", "public", 404),
    ("get", "/u/{token}", "public", 404),
    ("post", "/u/{token}", "public", 404),
    ("get", "/t/o/{token}.gif", "tracking", 404),
    ("get", "/t/c/{token}", "tracking", 404),
    ("get", "/t/e/o/{token}.gif", "tracking", 404),
    ("get", "/t/e/c/{token}", "tracking", 404),
    ("post", "/api/v1/forms/{token}/submit", "public", 404),
    ("post", "/api/v1/public/surveys/{token}", "public", 404),
    ("post", "/api/v1/public/reviews/{token}", "public", 404),
    ("get", "/api/v1/public/loyalty/{token}", "public", 404),
]
# A body valid for each endpoint, so the token alone decides the answer.
BODIES = {
    "/api/v1/forms/{token}/submit": {"email": "ada@example.com"},
    "/api/v1/public/surveys/{token}": {"score": 10},
    "/api/v1/public/reviews/{token}": {"rating": 5},
}
IDS = [f"{method} {url}" for method, url, _, _ in PUBLIC_ENDPOINTS]


def _call(client: Client, method: str, url: str, token: str):
    path = url.format(token=token)
    if method == "post" and path.startswith("/api/"):
        # a body valid for each endpoint, so the token decides the answer
        return client.post(path, BODIES.get(url, {}), content_type=JSON)
    return getattr(client, method)(path)


def _limits(settings, public: str, tracking: str) -> None:
    settings.CYCLECRM = {
        **settings.CYCLECRM,
        "RATE_LIMITS": {**settings.CYCLECRM["RATE_LIMITS"], "public": public, "tracking": tracking},
    }


@pytest.mark.parametrize(("method", "url", "budget", "status"), PUBLIC_ENDPOINTS, ids=IDS)
def test_forged_tokens_get_one_uninformative_not_found(db, method, url, budget, status):
    client = Client()

    first, second = (_call(client, method, url, token) for token in FORGED)

    assert first.status_code == second.status_code == status
    assert "Location" not in first  # no redirect on a token we did not sign
    # the two answers are the same page: nothing tells a malformed token from a bad signature
    assert _anonymous(first.content, FORGED[0]) == _anonymous(second.content, FORGED[1])


def _anonymous(content: bytes, token: str) -> bytes:
    return _CSRF.sub(b"", content.replace(token.encode(), b""))


@pytest.mark.parametrize(("method", "url", "budget", "status"), PUBLIC_ENDPOINTS, ids=IDS)
def test_a_flood_from_one_address_is_429_and_others_pass(db, settings, method, url, budget, status):
    _limits(settings, public="3/60", tracking="3/60")
    flooder = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        assert _call(flooder, method, url, FORGED[0]).status_code == status

    refused = _call(flooder, method, url, FORGED[0])

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    if url.startswith("/api/"):
        assert refused.json()["error"]["code"] == "rate_limited"
    bystander = Client(REMOTE_ADDR="198.51.100.8")
    assert _call(bystander, method, url, FORGED[0]).status_code == status


def test_the_knowledge_base_is_limited_too(db, settings):
    _limits(settings, public="3/60", tracking="")
    client = Client()

    statuses = [client.get(url).status_code for url in ("/kb/", "/kb/no-such-article/") * 2]

    assert statuses == [200, 404, 200, 429]


def test_tracking_has_its_own_budget(db, settings):
    # mail proxies fetch many pixels from one address: tracking does not use up the page budget
    _limits(settings, public="2/60", tracking="10/60")
    client = Client()
    for _ in range(5):
        assert client.get("/t/o/forged.gif").status_code == 404

    assert client.get("/s/forged/").status_code == 404
