"""The security log (page and API), what writes to it, session expiry and password rules."""

import time

import pytest
from django.test import Client

from cyclecrm.core.testing.factories import make_contact, make_user
from cyclecrm.identity.middleware import LAST_SEEN_KEY, STARTED_KEY
from cyclecrm.identity.models import SecurityEvent, SecurityEventKind

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def _kinds(**filters) -> list[str]:
    return list(SecurityEvent.objects.filter(**filters).values_list("kind", flat=True))


def test_logout_and_password_change_are_logged(rep_a) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "rep_a", "password": PASSWORD})
    changed = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase",
            "new_password2": "a much longer passphrase",
        },
    )
    client.post("/accounts/logout/")

    assert changed.status_code == 302
    assert {"login", "password_changed", "logout"} <= set(_kinds(user=rep_a))


def test_rights_changes_are_logged_with_actor_and_client(admin, rep_a, teams, api_client) -> None:
    client = api_client(admin)
    client.patch(
        f"/api/v1/users/{rep_a.pk}",
        {"version": 1, "role_names": ["manager"], "team_ids": [teams["south"].pk]},
        content_type="application/json",
        HTTP_USER_AGENT="admin-script/2",
    )
    contact = make_contact(owner=rep_a)
    client.post(
        f"/api/v1/contacts/{contact.pk}/shares",
        {"user_id": admin.pk},
        content_type="application/json",
    )

    roles = SecurityEvent.objects.get(kind=SecurityEventKind.ROLES_CHANGED, user=rep_a)
    assert roles.actor == admin
    assert roles.detail["roles"] == [["sales_rep"], ["manager"]]
    assert (roles.ip_address, roles.user_agent) == ("127.0.0.1", "admin-script/2")
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TEAMS_CHANGED, user=rep_a).exists()
    share = SecurityEvent.objects.get(kind=SecurityEventKind.SHARE_GRANTED)
    assert share.detail["object_id"] == contact.pk


def test_api_lists_filters_and_pages_the_log_for_admins_only(admin, rep_a, api_client) -> None:
    for _ in range(3):
        Client().post("/accounts/login/", {"username": "rep_a", "password": "wrong"})
    Client().post("/accounts/login/", {"username": "ghost", "password": "wrong"})

    page = api_client(admin).get("/api/v1/security-events?kind=login_failed&limit=2")
    rest = api_client(admin).get(
        f"/api/v1/security-events?kind=login_failed&limit=2&cursor={page.json()['next_cursor']}"
    )
    by_user = api_client(admin).get(f"/api/v1/security-events?user_id={rep_a.pk}")
    denied = api_client(rep_a).get("/api/v1/security-events")

    names = [row["username"] for row in page.json()["items"] + rest.json()["items"]]
    assert sorted(names) == ["ghost", "rep_a", "rep_a", "rep_a"]
    assert {row["kind"] for row in by_user.json()["items"]} == {"login_failed"}
    assert len(by_user.json()["items"]) == 3
    assert page.json()["items"][0]["ip_address"] == "127.0.0.1"
    assert denied.status_code == 403 or denied.json()["items"] == []
    assert "password" not in page.content.decode().replace("password_changed", "")


def test_security_log_page_filters_and_is_admin_only(admin, rep_a, web_client) -> None:
    Client().post("/accounts/login/", {"username": "rep_a", "password": "wrong"})
    Client().post("/accounts/login/", {"username": "intruder", "password": "x"})

    page = web_client(admin).get("/settings/security-log/?username=intruder&kind=login_failed")
    bad_cursor = web_client(admin).get("/settings/security-log/?cursor=garbage")

    assert page.status_code == 200
    body = page.content.decode()
    assert "intruder" in body and "rep_a" not in body.split("<tbody>")[1]
    assert bad_cursor.status_code == 200
    assert web_client(rep_a).get("/settings/security-log/").status_code == 403


def test_an_idle_session_ends(rep_a) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "rep_a", "password": PASSWORD})
    assert client.get("/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 3601
    session.save()

    response = client.get("/")

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/").status_code == 302
    assert SecurityEventKind.SESSION_EXPIRED in _kinds(user=rep_a)


def test_a_session_ends_after_its_absolute_age_even_when_active(rep_a, settings) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "rep_a", "password": PASSWORD})
    client.get("/")
    session = client.session
    session[STARTED_KEY] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session.save()

    assert client.get("/").status_code == 302
    assert client.get("/api/v1/users/me").status_code == 401


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234", "qwertyuiop"])
def test_weak_passwords_are_refused_on_every_path(admin, web_client, api_client, password) -> None:
    api = api_client(admin).post(
        "/api/v1/users",
        {"username": "rep_new_user", "password": password},
        content_type="application/json",
    )
    ui = web_client(admin).post(
        "/settings/users/new/",
        {"username": "rep_new_user", "password1": password, "password2": password},
    )
    target = make_user("target_user")
    set_ui = web_client(admin).post(
        f"/settings/users/{target.pk}/password/", {"password1": password, "password2": password}
    )
    patch = api_client(admin).patch(
        f"/api/v1/users/{target.pk}",
        {"version": 1, "password": password},
        content_type="application/json",
    )

    assert api.status_code == 422 and "password" in api.json()["error"]["fields"]
    assert ui.status_code == 200 and b"is-invalid" in ui.content
    assert set_ui.status_code == 200 and b"is-invalid" in set_ui.content
    assert patch.status_code == 422 and "password" in patch.json()["error"]["fields"]
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
