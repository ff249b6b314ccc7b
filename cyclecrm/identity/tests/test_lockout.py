"""Login lock-out, its audit, and the administrator's unlock (UI and API)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from cyclecrm.core.testing.factories import make_user
from cyclecrm.identity.models import SecurityEvent, SecurityEventKind

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client: Client, username: str, times: int, ip: str = "10.0.0.1"):
    response = None
    for _ in range(times):
        response = _login(client, username, "wrong password", ip)
    return response


def _alert(response) -> str:
    return response.content.decode().split('role="alert">', 1)[1].split("</div>", 1)[0]


def test_login_through_the_form_works_and_is_logged(teams) -> None:
    user = make_user("ada", role="sales_rep")
    client = Client(HTTP_USER_AGENT="pytest-browser/1.0")

    response = _login(client, "ada", PASSWORD)

    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN)
    assert (event.user, event.ip_address) == (user, "10.0.0.1")
    assert event.user_agent == "pytest-browser/1.0"


def test_failures_lock_the_username_and_address_pair(teams) -> None:
    make_user("ada", role="sales_rep")
    client = Client()

    assert _fail(client, "ada", 2).status_code == 200
    locked = _fail(client, "ada", 1)

    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.content.decode()
    assert locked["Retry-After"] == "900"
    # The right password is refused while locked ...
    assert _login(client, "ada", PASSWORD).status_code == 429
    # ... from that address only: another address is not locked out by the attacker.
    assert _login(Client(), "ada", PASSWORD, ip="10.0.0.2").status_code == 302
    kinds = list(SecurityEvent.objects.filter(username="ada").values_list("kind", flat=True))
    assert SecurityEventKind.LOCKED_OUT in kinds
    assert kinds.count(SecurityEventKind.LOGIN_FAILED) >= 3


def test_unknown_and_existing_users_get_the_same_lockout_page(teams) -> None:
    make_user("ada", role="sales_rep")

    existing = _fail(Client(), "ada", 3)
    unknown = _fail(Client(), "nobody-here", 3)

    assert existing.status_code == unknown.status_code == 429
    assert _alert(existing) == _alert(unknown)
    assert "Try again in 15 minutes" in _alert(existing)
    failed = SecurityEvent.objects.filter(username="nobody-here", kind="login_failed").first()
    assert failed is not None and failed.user is None


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(teams) -> None:
    make_user("ada", role="sales_rep")
    client = Client()
    for n in range(3):
        _login(client, "ada", "wrong", ip="10.0.0.1") if n == 0 else client.post(
            LOGIN,
            {"username": "ada", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )

    response = client.post(
        LOGIN,
        {"username": "ada", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert response.status_code == 429


def test_success_resets_the_failure_count(teams) -> None:
    make_user("ada", role="sales_rep")
    client = Client()
    _fail(client, "ada", 2)
    assert _login(client, "ada", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    assert _fail(Client(), "ada", 2).status_code == 200


def test_admin_unlocks_through_the_user_page(admin, web_client) -> None:
    user = make_user("ada", role="sales_rep")
    _fail(Client(), "ada", 3)
    page = web_client(admin).get(f"/settings/users/{user.pk}/")
    assert b"Locked out" in page.content

    response = web_client(admin).post(f"/settings/users/{user.pk}/unlock/")

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="ada").exists()
    assert _login(Client(), "ada", PASSWORD).status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEventKind.UNLOCKED)
    assert (event.user, event.actor, event.detail["addresses"]) == (user, admin, ["10.0.0.1"])


def test_unlock_through_the_api_and_refused_to_non_admins(admin, rep_a, api_client) -> None:
    user = make_user("ada", role="sales_rep")
    _fail(Client(), "ada", 3)

    refused = api_client(rep_a).post(f"/api/v1/users/{user.pk}/unlock")
    response = api_client(admin).post(f"/api/v1/users/{user.pk}/unlock")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert response.status_code == 200
    assert response.json() == {"cleared": 1}
    assert _login(Client(), "ada", PASSWORD).status_code == 302


def test_unlock_page_refuses_get_and_non_admins(rep_a, web_client) -> None:
    user = make_user("ada", role="sales_rep")

    assert web_client(rep_a).post(f"/settings/users/{user.pk}/unlock/").status_code == 403
    assert web_client(rep_a).get(f"/settings/users/{user.pk}/unlock/").status_code in (403, 405)
