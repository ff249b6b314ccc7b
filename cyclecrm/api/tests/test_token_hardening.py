"""API tokens: scoped on every write operation of the schema, expiring and revocable with a
clear 401, stored hashed only, shown once."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from cyclecrm.api.root import api
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_token
from cyclecrm.identity.models import ApiToken, TokenScope

JSON = "application/json"
WRITE_METHODS = ("post", "put", "patch", "delete")


def _write_operations() -> list[tuple[str, str]]:
    """Every authenticated write operation of the OpenAPI schema, path parameters filled in."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in WRITE_METHODS and operation.get("security"):
                operations.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return operations


WRITE_OPERATIONS = _write_operations()


def test_the_schema_has_the_write_operations_we_expect():
    # given the schema / then the generated matrix is not empty by accident
    assert len(WRITE_OPERATIONS) > 200
    assert ("post", "/api/v1/contacts") in WRITE_OPERATIONS
    assert ("delete", "/api/v1/tokens/1") in WRITE_OPERATIONS


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS, ids=lambda v: v)
def test_read_token_is_refused_on_every_write_operation(admin, method, path):
    # given a read-only token of the most powerful user
    client = Client(headers={"Authorization": f"Bearer {make_token(admin, TokenScope.READ)}"})
    history_before = HistoryEntry.objects.count()

    # when it calls a write operation
    response = getattr(client, method)(path, {}, content_type=JSON)

    # then it is refused before anything runs
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "token_scope"
    assert HistoryEntry.objects.count() == history_before


def _client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_expired_token_says_it_expired(rep_a):
    token = make_token(rep_a)
    ApiToken.objects.filter(user=rep_a).update(expires_at=timezone.now() - dt.timedelta(hours=1))

    response = _client(token).get("/api/v1/contacts")

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authenticated"
    assert "expired" in error["message"]


def test_revoked_token_says_it_was_revoked(rep_a):
    token = make_token(rep_a)
    token_id = ApiToken.objects.get(user=rep_a).pk
    assert _client(token).delete(f"/api/v1/tokens/{token_id}").status_code == 204

    response = _client(token).get("/api/v1/contacts")

    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_wrong_secret_with_a_real_prefix_says_nothing_about_the_token(rep_a):
    token = make_token(rep_a)
    ApiToken.objects.filter(user=rep_a).update(revoked_at=timezone.now())
    forged = token[:-4] + "AAAA"

    response = _client(forged).get("/api/v1/contacts")

    assert response.status_code == 401
    assert "revoked" not in response.json()["error"]["message"]


def test_token_is_stored_hashed_and_shown_once(admin):
    client = _client(make_token(admin))

    created = client.post(
        "/api/v1/tokens", {"name": "ci", "scope": "read"}, content_type=JSON
    ).json()

    secret = created["token"]
    row = ApiToken.objects.get(name="ci")
    stored = [str(value) for value in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert not any(secret in value or value in secret for value in stored if len(value) > 12)
    listed = client.get("/api/v1/tokens").content.decode()
    detail = client.get(f"/api/v1/tokens/{row.pk}").content.decode()
    assert secret not in listed and secret not in detail
    assert _client(secret).get("/api/v1/users/me").status_code == 200
