"""Secrets (mailbox passwords, webhook signing secrets) are stored encrypted and appear in no API
response, audit history entry or log line, SQL logged at DEBUG included."""

import json
import logging

import pytest
from django.db import connection

from cyclecrm.automation.models import WebhookSubscription
from cyclecrm.core.models import HistoryEntry
from cyclecrm.integrations.models import Mailbox

JSON = "application/json"
PASSWORD = "Pa55-word-that-must-not-leak"


@pytest.fixture
def debug_sql_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # django.db.backends logs every query with its params
    yield caplog
    connection.force_debug_cursor = False


def _everything_stored(model) -> str:
    return json.dumps(list(model.objects.values()), default=str)


def test_secrets_never_leave_in_clear(api_client, admin, debug_sql_logs):
    client = api_client(admin)

    # given a mailbox with a password and a webhook with its secret, configured by API
    mailbox = client.post(
        "/api/v1/mailboxes",
        {"name": "Sales", "host": "127.0.0.1", "username": "sales", "password": PASSWORD},
        content_type=JSON,
    )
    hook = client.post(
        "/api/v1/webhooks",
        {"url": "https://example.com/hook", "events": ["contact.*"]},
        content_type=JSON,
    )
    assert mailbox.status_code == hook.status_code == 201, (mailbox.content, hook.content)
    webhook_secret = hook.json()["secret"]  # shown once, on creation
    mailbox_id, hook_id = mailbox.json()["id"], hook.json()["id"]

    # when every read of them runs, and a rotation and an edit
    bodies = [
        client.get(url).content.decode()
        for url in (
            "/api/v1/mailboxes",
            f"/api/v1/mailboxes/{mailbox_id}",
            "/api/v1/webhooks",
            f"/api/v1/webhooks/{hook_id}",
            f"/api/v1/webhooks/{hook_id}/deliveries",
        )
    ]
    rotated = client.post(f"/api/v1/webhooks/{hook_id}/rotate-secret").json()["secret"]
    changed = client.patch(
        f"/api/v1/mailboxes/{mailbox_id}",
        {"password": PASSWORD + "2", "version": 1},
        content_type=JSON,
    )
    assert changed.status_code == 200, changed.content
    bodies.append(changed.content.decode())

    # then no response, stored row, history entry or log line holds a secret in clear
    secrets = (PASSWORD, PASSWORD + "2", webhook_secret, rotated)
    places = {
        "responses": "".join(bodies),
        "mailbox rows": _everything_stored(Mailbox),
        "webhook rows": _everything_stored(WebhookSubscription),
        "history": _everything_stored(HistoryEntry),
        "logs": debug_sql_logs.text,
    }
    assert "INSERT" in places["logs"]  # the SQL really was logged
    for name, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in the {name}"
    # and the stored secrets still work
    stored = WebhookSubscription.objects.get(pk=hook_id)
    assert stored.secret == rotated
    assert Mailbox.objects.get(pk=mailbox_id).password_encrypted


def test_a_changed_key_cannot_read_webhook_secrets(api_client, admin, settings):
    from cyclecrm.core.secrets import SecretUnreadable

    client = api_client(admin)
    hook_id = client.post(
        "/api/v1/webhooks",
        {"url": "https://example.com/hook", "events": ["contact.*"]},
        content_type=JSON,
    ).json()["id"]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40

    with pytest.raises(SecretUnreadable):
        _ = WebhookSubscription.objects.get(pk=hook_id).secret
