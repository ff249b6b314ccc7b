"""CSRF on every state-changing request: the whole URL map is walked, and a POST without a
token from a signed-in browser is refused on every route but the public ones below."""

import pytest
from django.test import Client
from django.urls import reverse

from cyclecrm.core.testing.routes import all_routes

pytestmark = pytest.mark.django_db

# Public pages that take a POST without a CSRF token, on purpose. None of them acts for a
# signed-in user: the credential is in the URL or the form (docs/security.md, "Web hardening").
CSRF_EXEMPT = {
    # Capture forms are embedded in other sites, where no CSRF cookie can exist; a signed form
    # token, the honeypot and per-IP / per-form rate limits hold off abuse.
    "capture_form_public": "f/<str:public_key>/",
    # Survey and review links: the signed 256-bit token in the URL is the only credential.
    "survey_answer": "s/<str:token>/",
    "review_answer": "r/<str:token>/",
    # RFC 8058 one-click unsubscribe: mail clients POST without any cookie; signed token.
    "mailing_unsubscribe": "u/<str:signed>",
}
# The public API twins of those pages (no authentication at all, so no session to ride on).
PUBLIC_API_WRITES = {
    "POST /api/v1/forms/sample/submit",
    "POST /api/v1/public/reviews/sample",
    "POST /api/v1/public/surveys/sample",
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_every_web_route_refuses_a_post_without_csrf_token(admin):
    client = _csrf_client(admin)
    accepted = {}
    for route in all_routes():
        if route.is_api or route.name in CSRF_EXEMPT:
            continue
        response = client.post(route.sample_path(), {"name": "x"})
        if response.status_code != 403:
            accepted[route.route] = response.status_code

    assert accepted == {}


def test_only_the_listed_public_routes_are_csrf_exempt():
    exempt = {
        route.name: route.route
        for route in all_routes()
        if not route.is_api and getattr(route.callback, "csrf_exempt", False)
    }

    assert exempt == CSRF_EXEMPT


def test_every_api_write_with_the_session_cookie_needs_the_csrf_token(admin):
    """The API accepts the browser session (for the interactive docs); a cross-site write riding
    on that cookie gets 403 (or 405 where the route has no such method), never reaches a
    handler. Bearer tokens are not cookies, so they need no CSRF token."""
    client = _csrf_client(admin)
    reached, refused = {}, 0
    api_routes = {route.sample_path() for route in all_routes() if route.is_api}
    for path in sorted(api_routes):
        for method in WRITE_METHODS:
            response = getattr(client, method)(path, {}, content_type="application/json")
            if response.status_code == 403:
                refused += 1
                assert "CSRF" in response.content.decode(), path
            elif response.status_code != 405:
                reached[f"{method.upper()} {path}"] = response.status_code

    assert set(reached) == PUBLIC_API_WRITES
    assert refused > 100  # the walk did reach the writes of the API


def test_login_form_needs_the_csrf_token(admin):
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "admin", "password": "x"}
    )

    assert response.status_code == 403


def test_a_post_with_the_token_passes_the_check(admin):
    """The control: the same client with its token is not refused by CSRF."""
    client = _csrf_client(admin)
    client.get("/")
    token = client.cookies["csrftoken"].value

    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
