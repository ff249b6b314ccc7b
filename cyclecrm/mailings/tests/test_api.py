"""The mailings API: CRUD, preview, test send, send/pause/resume/cancel, recipients, stats."""

import pytest

from cyclecrm.mailings.models import MailingStatus

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_crud_and_validation_errors_name_the_field(api_client, marketer, segment):
    client = api_client(marketer)

    created = client.post(
        "/api/v1/mailings",
        {"name": "A", "subject": "S", "segment_id": segment.pk, "html_body": "<p>x</p>"},
        content_type=JSON,
    )
    bad = client.post(
        "/api/v1/mailings",
        {"name": "B", "subject": "{% if %}", "segment_id": 999999, "rate_per_minute": 1},
        content_type=JSON,
    )
    body = created.json()
    patched = client.patch(
        f"/api/v1/mailings/{body['id']}", {"name": "A2", "version": 1}, content_type=JSON
    )
    listed = client.get("/api/v1/mailings").json()

    assert created.status_code == 201 and body["status"] == "draft"
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"subject", "segment_id"}
    assert patched.json()["name"] == "A2"
    assert listed["items"][0]["name"] == "A2"  # newest first
    assert client.delete(f"/api/v1/mailings/{body['id']}").status_code == 204


def test_preview_test_send_send_and_stats(api_client, marketer, mailing, audience, smtp_server):
    client = api_client(marketer)
    base = f"/api/v1/mailings/{mailing.pk}"

    preview = client.get(f"{base}/preview?contact_id={audience['ada'].pk}").json()
    test = client.post(
        f"{base}/test-send", {"to": "me@shop.example", "contact_id": audience["ada"].pk},
        content_type=JSON,
    )  # fmt: skip
    started = client.post(f"{base}/send")
    again = client.post(f"{base}/send")
    paused = client.post(f"{base}/pause")
    resumed = client.post(f"{base}/resume")
    recipients = client.get(f"{base}/recipients?limit=3").json()
    stats = client.get(f"{base}/stats").json()

    assert preview["subject"] == "News for Ada" and "See you in Paris!" in preview["html"]
    assert "Hello Ada," in preview["text"]
    assert test.status_code == 200 and len(smtp_server.received) == 1
    assert started.json()["status"] == MailingStatus.SENDING
    assert again.status_code == 422 and "status" in again.json()["error"]["fields"]
    assert paused.json()["status"] == "paused" and resumed.json()["status"] == "sending"
    assert len(recipients["items"]) == 3 and recipients["next_cursor"]
    assert stats["recipients"] == 8 and stats["suppressed"] == 6 and stats["pending"] == 2
    assert stats["suppressed_by_reason"]["duplicate"] == 1
    assert stats["open_rate"] is None  # nothing delivered yet


def test_a_mailing_is_invisible_to_other_reps(api_client, rep_a, mailing):
    assert api_client(rep_a).get(f"/api/v1/mailings/{mailing.pk}").status_code == 404
    assert api_client(rep_a).post(f"/api/v1/mailings/{mailing.pk}/send").status_code == 404


def test_conversions_count_a_won_deal_after_the_send(api_client, marketer, mailing, audience):
    from django.utils import timezone

    from cyclecrm.mailings.models import MailingRecipient
    from cyclecrm.mailings.selectors import mailing_stats
    from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage

    ada = audience["ada"]
    MailingRecipient.objects.create(
        mailing=mailing, contact=ada, email=ada.email, token="a" * 32, state="sent",
        sent_at=timezone.now() - timezone.timedelta(days=1),
    )  # fmt: skip
    pipeline = Pipeline.objects.create(name="P")
    won = Stage.objects.create(pipeline=pipeline, name="Won", kind="won", position=9)
    Opportunity.objects.create(
        name="Deal", contact=ada, stage=won, pipeline=pipeline, closed_at=timezone.now(),
        owner=marketer,
    )  # fmt: skip

    assert mailing_stats(mailing=mailing)["conversions"] == 1


def test_a_refused_test_send_is_a_422_naming_the_address(
    api_client, marketer, mailing, audience, smtp_server
):
    smtp_server.refuse("550 Mailbox unavailable")

    response = api_client(marketer).post(
        f"/api/v1/mailings/{mailing.pk}/test-send",
        {"to": "nobody@shop.example", "contact_id": audience["ada"].pk},
        content_type=JSON,
    )

    assert response.status_code == 422
    assert "550" in response.json()["error"]["fields"]["to"][0]


def test_deleting_the_segment_keeps_the_mailing(api_client, marketer, mailing, segment):
    response = api_client(marketer).delete(f"/api/v1/segments/{segment.pk}")

    mailing.refresh_from_db()
    assert response.status_code == 204 and mailing.segment_id is None
