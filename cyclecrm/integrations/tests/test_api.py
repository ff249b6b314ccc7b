"""The e-mail API: send, templates, mailboxes (admin only, password write-only)."""

import base64

import pytest

from cyclecrm.activities.models import DeliveryStatus, Interaction
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.credentials import decrypt_password
from cyclecrm.integrations.models import Mailbox

pytestmark = pytest.mark.django_db


def test_post_emails_sends_through_smtp(
    api_client, rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks
):
    ada = make_contact(rep_a, email="ada@example.com")
    payload = {
        "contact": ada.pk,
        "subject": "Hello",
        "body": "Text",
        "cc": ["boss@example.com"],
        "attachments": [{"filename": "a.txt", "content_base64": base64.b64encode(b"abc").decode()}],
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(rep_a).post(
            "/api/v1/emails", payload, content_type="application/json"
        )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["delivery_status"] == DeliveryStatus.QUEUED
    assert body["to_addresses"] == ["ada@example.com"]
    assert Interaction.objects.get(pk=body["id"]).delivery_status == DeliveryStatus.SENT
    [mail] = smtp_server.received
    assert sorted(mail.rcpt_tos) == ["ada@example.com", "boss@example.com"]


def test_post_emails_names_the_missing_record(api_client, rep_a):
    response = api_client(rep_a).post(
        "/api/v1/emails", {"subject": "x", "body": "y"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "record" in response.json()["error"]["fields"]


def test_templates_crud_for_admins_read_for_reps(api_client, admin, rep_a):
    client = api_client(admin)
    created = client.post(
        "/api/v1/email-templates",
        {"name": "Hi", "subject": "Hi {{ contact.first_name }}", "body": "Body"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    broken = client.patch(
        f"/api/v1/email-templates/{pk}",
        {"version": 1, "body": "{% if %}"},
        content_type="application/json",
    )
    assert broken.status_code == 422
    assert "body" in broken.json()["error"]["fields"]

    listed = api_client(rep_a).get("/api/v1/email-templates")
    assert [item["name"] for item in listed.json()["items"]] == ["Hi"]
    refused = api_client(rep_a).post(
        "/api/v1/email-templates",
        {"name": "Mine", "subject": "s", "body": "b"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert client.delete(f"/api/v1/email-templates/{pk}").status_code == 204


def test_mailbox_password_is_write_only_and_encrypted(api_client, admin, rep_a):
    client = api_client(admin)
    response = client.post(
        "/api/v1/mailboxes",
        {
            "name": "Sales",
            "host": "imap.example.com",
            "username": "sales@example.com",
            "password": "hunter2-secret",
            "purpose": "sales",
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_password"] is True
    assert body["port"] == 993
    assert "hunter2-secret" not in response.content.decode()
    mailbox = Mailbox.objects.get()
    assert "hunter2" not in mailbox.password_encrypted
    assert decrypt_password(mailbox.password_encrypted) == "hunter2-secret"
    history = HistoryEntry.objects.filter(record_type="mailbox")
    assert history.exists()
    assert all("password_encrypted" not in entry.changes for entry in history)

    # reps neither see nor change mailboxes
    assert api_client(rep_a).get("/api/v1/mailboxes").json()["items"] == []
    assert api_client(rep_a).get(f"/api/v1/mailboxes/{mailbox.pk}").status_code == 404


def test_mailbox_needs_a_password_source(api_client, admin):
    response = api_client(admin).post(
        "/api/v1/mailboxes",
        {"name": "S", "host": "h.example.com", "username": "u"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "password" in response.json()["error"]["fields"]


def test_poll_now_reports_an_unreachable_server(api_client, admin):
    from cyclecrm.core.testing.mailservers import free_port

    client = api_client(admin)
    created = client.post(
        "/api/v1/mailboxes",
        {
            "name": "Down",
            "host": "127.0.0.1",
            "port": free_port(),
            "security": "none",
            "username": "u",
            "password": "p",
        },
        content_type="application/json",
    ).json()

    response = client.post(f"/api/v1/mailboxes/{created['id']}/poll")

    assert response.status_code == 200
    assert "refused" in response.json()["error"].lower()
    shown = client.get(f"/api/v1/mailboxes/{created['id']}").json()
    assert shown["failure_count"] == 1
    assert shown["last_error"] == response.json()["error"]
