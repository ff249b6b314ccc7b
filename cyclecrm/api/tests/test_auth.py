"""Authentication and the error envelope, seen from a client."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_token
from cyclecrm.identity.models import ApiToken, TokenScope

JSON = "application/json"


def _bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def _assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_without_token_is_401_with_the_error_envelope(db):
    response = Client().get("/api/v1/contacts")

    _assert_unauthenticated(response)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "token",
    ["garbage", "ccrm_nope_secret", "ccrm__", "Basic abc"],
    ids=["garbage", "unknown-prefix", "empty-parts", "wrong-scheme"],
)
def test_malformed_or_unknown_token_is_401(rep_a, token):
    _assert_unauthenticated(_bearer(token).get("/api/v1/contacts"))


def test_right_prefix_with_wrong_secret_is_401(rep_a):
    token = make_token(rep_a)
    prefix = token.split("_")[1]

    _assert_unauthenticated(_bearer(f"ccrm_{prefix}_not-the-secret").get("/api/v1/contacts"))


def test_valid_token_authenticates_and_records_last_use(rep_a):
    token = make_token(rep_a)

    response = _bearer(token).get("/api/v1/users/me")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "rep_a"
    assert ApiToken.objects.get(user=rep_a).last_used_at is not None


def test_revoked_token_is_401(rep_a):
    token = make_token(rep_a)
    ApiToken.objects.filter(user=rep_a).update(revoked_at=timezone.now())

    _assert_unauthenticated(_bearer(token).get("/api/v1/contacts"))


def test_expired_token_is_401(rep_a):
    token = make_token(rep_a)
    ApiToken.objects.filter(user=rep_a).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    _assert_unauthenticated(_bearer(token).get("/api/v1/contacts"))


def test_token_of_a_deactivated_user_is_401(rep_a):
    token = make_token(rep_a)
    rep_a.is_active = False
    rep_a.save()

    _assert_unauthenticated(_bearer(token).get("/api/v1/contacts"))


def test_read_scope_token_may_read_but_not_write(rep_a):
    client = _bearer(make_token(rep_a, TokenScope.READ))

    assert client.get("/api/v1/contacts").status_code == 200
    response = client.post("/api/v1/contacts", {"last_name": "Hopper"}, content_type=JSON)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token_scope"
    assert not Contact.objects.exists()


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_read_scope_token_cannot_patch_or_delete(rep_a, method):
    client = _bearer(make_token(rep_a, TokenScope.READ))

    response = getattr(client, method)("/api/v1/contacts/1", {}, content_type=JSON)

    assert response.status_code == 403


def test_malformed_json_is_400(api_client, rep_a):
    response = api_client(rep_a).post(
        "/api/v1/contacts", '{"last_name": "Hopper"', content_type=JSON
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert not Contact.objects.exists()


def test_browser_session_reaches_the_api(web_client, rep_a):
    response = web_client(rep_a).get("/api/v1/users/me")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == rep_a.pk


def test_browser_session_writes_need_the_csrf_token(rep_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a)

    response = client.post("/api/v1/contacts", {"last_name": "Hopper"}, content_type=JSON)

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Contact.objects.exists()
