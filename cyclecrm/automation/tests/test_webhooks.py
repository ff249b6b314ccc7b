"""Webhook deliveries against a real HTTP receiver on 127.0.0.1: signature, headers, retries
with back-off, final failures, the delivery log, resend and test events."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from cyclecrm.automation import signing
from cyclecrm.automation.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from cyclecrm.automation.services import webhooks
from cyclecrm.contacts.services import contact_create, contact_update
from cyclecrm.core.errors import Conflict, ValidationFailed


@pytest.fixture
def hook(admin, receiver) -> WebhookSubscription:
    return webhooks.webhook_create(
        actor=admin, data={"url": receiver.url, "events": ["contact.*"], "description": "ERP"}
    )


def _create_contact(actor, capture, **data):
    with capture(execute=True):
        return contact_create(actor=actor, data={"last_name": "Doe", **data})


def test_event_is_delivered_signed_with_headers_and_record(
    admin, hook, receiver, huey_immediate, django_capture_on_commit_callbacks
):
    # given a subscription to contact.*
    # when a contact is created
    contact = _create_contact(admin, django_capture_on_commit_callbacks, email="doe@example.com")

    # then the receiver got one signed POST with the event id and the serialized record
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = request.headers
    payload = request.json()
    assert payload["event"] == "contact.created"
    assert payload["data"]["id"] == contact.pk and payload["data"]["email"] == "doe@example.com"
    assert headers["x-cyclecrm-event-id"] == payload["id"]
    assert headers["x-cyclecrm-event"] == "contact.created"
    assert headers["content-type"] == "application/json"
    assert signing.verify(
        hook.secret, headers["x-cyclecrm-signature"], request.body, now=int(time.time())
    )
    assert not signing.verify(
        "whsec_wrong", headers["x-cyclecrm-signature"], request.body, now=int(time.time())
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.response_code == 200 and '"received": true' in delivery.response_body
    assert delivery.attempts == 1


def test_update_payload_carries_old_and_new_values(
    admin, hook, receiver, huey_immediate, django_capture_on_commit_callbacks
):
    contact = _create_contact(admin, django_capture_on_commit_callbacks, city="Bonn")
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=admin, contact=contact, data={"city": "Köln"}, version=contact.version)

    payload = receiver.requests[-1].json()
    assert payload["event"] == "contact.updated"
    assert payload["changes"]["changes"]["city"] == ["Bonn", "Köln"]


def test_unsubscribed_events_and_inactive_subscriptions_send_nothing(
    admin, receiver, huey_immediate, django_capture_on_commit_callbacks
):
    webhooks.webhook_create(actor=admin, data={"url": receiver.url, "events": ["lead.converted"]})
    off = webhooks.webhook_create(actor=admin, data={"url": receiver.url, "events": ["*"]})
    webhooks.webhook_update(actor=admin, subscription=off, data={"active": False})

    _create_contact(admin, django_capture_on_commit_callbacks)

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_server_error_is_retried_with_backoff_then_succeeds(admin, hook, receiver):
    # given a receiver that fails twice, then accepts
    receiver.answer(500, 503)
    delivery = webhooks.delivery_queue_one(
        subscription_id=hook.pk,
        event="contact.created",
        record_type="contact",
        object_id=0,
        data={},
    )
    start = timezone.now()

    # when the delivery is attempted three times at its scheduled times
    first = webhooks.delivery_attempt(delivery_id=delivery.pk, now=start)
    assert first.status == DeliveryStatus.RETRYING and first.response_code == 500
    assert first.next_attempt_at == start + dt.timedelta(minutes=1)
    assert webhooks.deliveries_retry_due(now=start) == 0
    second = webhooks.delivery_attempt(delivery_id=delivery.pk, now=first.next_attempt_at)
    assert second.next_attempt_at == first.next_attempt_at + dt.timedelta(minutes=5)
    third = webhooks.delivery_attempt(delivery_id=delivery.pk, now=second.next_attempt_at)

    # then it succeeded on the third attempt, each with the same event id
    assert third.status == DeliveryStatus.SUCCEEDED and third.attempts == 3
    assert third.response_code == 200 and third.next_attempt_at is None
    ids = {r.headers["x-cyclecrm-event-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and ids == {delivery.event_id}


def test_attempts_are_capped(admin, hook, receiver):
    receiver.answer(*[500] * 10)
    delivery = webhooks.delivery_queue_one(
        subscription_id=hook.pk,
        event="contact.created",
        record_type="contact",
        object_id=0,
        data={},
    )
    now = timezone.now()
    delays = []
    for _ in range(webhooks.MAX_ATTEMPTS):
        delivery = webhooks.delivery_attempt(delivery_id=delivery.pk, now=now)
        if delivery.next_attempt_at:
            delays.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at

    assert delays == list(webhooks.RETRY_DELAYS)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == webhooks.MAX_ATTEMPTS
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("code", "status"), [(404, "failed"), (410, "failed"), (429, "retrying"), (408, "retrying")]
)
def test_client_errors_are_final_except_timeout_and_rate_limit(admin, hook, receiver, code, status):
    receiver.answer(code)
    delivery = webhooks.delivery_queue_one(
        subscription_id=hook.pk, event="x.y", record_type="contact", object_id=0, data={}
    )
    assert webhooks.delivery_attempt(delivery_id=delivery.pk).status == status


def test_unreachable_receiver_is_logged_and_retried(admin):
    hook = webhooks.webhook_create(
        actor=admin, data={"url": "http://127.0.0.1:9/none", "events": ["*"]}
    )
    delivery = webhooks.delivery_queue_one(
        subscription_id=hook.pk, event="x.y", record_type="contact", object_id=0, data={}
    )
    delivery = webhooks.delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.response_code is None and delivery.error


def test_subscription_switches_off_after_failures_in_a_row(admin, hook, receiver):
    receiver.answer(*[400] * webhooks.DISABLE_AFTER_FAILURES)
    for _ in range(webhooks.DISABLE_AFTER_FAILURES):
        delivery = webhooks.delivery_queue_one(
            subscription_id=hook.pk, event="x.y", record_type="contact", object_id=0, data={}
        )
        webhooks.delivery_attempt(delivery_id=delivery.pk)
    hook.refresh_from_db()
    assert not hook.active and "failed deliveries" in hook.disabled_reason


def test_resend_and_test_event(
    admin, hook, receiver, huey_immediate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        test = webhooks.webhook_send_test(actor=admin, subscription=hook)
    with django_capture_on_commit_callbacks(execute=True):
        again = webhooks.delivery_resend(
            actor=admin, delivery=WebhookDelivery.objects.get(pk=test.pk)
        )

    assert [r.json()["event"] for r in receiver.requests] == ["webhook.test", "webhook.test"]
    assert again.pk != test.pk and again.event_id == test.event_id
    pending = webhooks.delivery_queue_one(
        subscription_id=hook.pk, event="x.y", record_type="contact", object_id=0, data={}
    )
    with pytest.raises(Conflict):
        webhooks.delivery_resend(actor=admin, delivery=pending)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "https://example.com/x", "events": ["Contact Created"]}, "events[0]"),
        ({"url": "https://example.com/x", "events": ["*"], "secret": "x"}, "secret"),
    ],
)
def test_invalid_subscriptions_name_the_field(admin, data, field):
    with pytest.raises(ValidationFailed) as caught:
        webhooks.webhook_create(actor=admin, data=data)
    assert field in caught.value.fields


def test_secret_rotation(admin, hook):
    old = hook.secret
    new = webhooks.webhook_rotate_secret(actor=admin, subscription=hook)
    hook.refresh_from_db()
    assert new != old and hook.secret == new and new.startswith("whsec_")


def test_fields_hidden_from_the_owner_stay_out_of_the_payload(
    admin, receiver, huey_immediate, django_capture_on_commit_callbacks
):
    from cyclecrm.identity.access import forget_access
    from cyclecrm.identity.models import Role
    from cyclecrm.identity.system import system_actor

    webhooks.webhook_create(actor=admin, data={"url": receiver.url, "events": ["contact.*"]})
    contact = _create_contact(admin, django_capture_on_commit_callbacks, city="Bonn")
    Role.objects.filter(name="admin").update(field_rules={"contact": {"city": "hidden"}})
    forget_access(admin)

    with django_capture_on_commit_callbacks(execute=True):
        contact_update(
            actor=system_actor(), contact=contact, data={"city": "Köln", "title": "CEO"}, version=1
        )

    payload = receiver.requests[-1].json()
    assert payload["changes"]["changed"] == ["title"]
    assert "city" not in payload["changes"]["changes"] and payload["data"]["city"] is None
