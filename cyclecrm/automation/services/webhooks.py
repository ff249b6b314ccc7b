"""Outgoing webhooks: subscriptions (through the shared write path) and their deliveries.

A matching event becomes one `WebhookDelivery` row per subscription and a job that POSTs it.
A failed attempt (network error, timeout, 5xx, 408, 429) is retried after `RETRY_DELAYS`
(1 min, 5 min, 30 min, 2 h, 12 h); other 4xx answers are final. After
`DISABLE_AFTER_FAILURES` deliveries in a row end failed, the subscription is switched off.

An attempt is claimed (counted, and the retry scheduled) by a conditional UPDATE before the POST,
so two workers never send the same attempt and a killed worker's delivery is retried: delivery
is at least once, and receivers deduplicate on the event id header."""

import datetime as dt
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cyclecrm.automation import signing
from cyclecrm.automation.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from cyclecrm.core.errors import Conflict, FieldErrors
from cyclecrm.core.events import Event
from cyclecrm.core.history import visible_changes
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity.models import User

WEBHOOK_FIELDS = {"url", "description", "events", "active", "owner_id", "team_id"}
EVENT_PATTERN = re.compile(r"\*|[a-z_]+\.(\*|[a-z_]+)")
MAX_EVENTS = 50
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
RETRYABLE_4XX = {408, 429}
TIMEOUT_SECONDS = 10
BODY_EXCERPT = 2000
DISABLE_AFTER_FAILURES = 10
DISABLED_REASON = f"Switched off after {DISABLE_AFTER_FAILURES} failed deliveries in a row."
USER_AGENT = "CycleCRM-Webhooks/1"
TEST_EVENT = "webhook.test"
LAST_ATTEMPT_LOST = "The worker making the last attempt stopped before it ended."


# -- subscriptions -------------------------------------------------------------------------------


def _normalize(data: dict[str, Any], current: WebhookSubscription | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - WEBHOOK_FIELDS):
        errors.add(name, "Unknown field.")
    if "url" in data or current is None:
        data["url"] = str(data.get("url") or "").strip()
        try:
            URLValidator(schemes=["http", "https"])(data["url"])
        except DjangoValidationError:
            errors.add("url", "Enter an http:// or https:// address.")
    if "events" in data or current is None:
        events = data.get("events")
        if not isinstance(events, list) or not events or len(events) > MAX_EVENTS:
            errors.add("events", f"Give a list of 1 to {MAX_EVENTS} event names.")
        else:
            for index, name in enumerate(events):
                if not isinstance(name, str) or not EVENT_PATTERN.fullmatch(name):
                    errors.add(
                        f"events[{index}]",
                        "Use an event name like contact.created, contact.* or *.",
                    )
            data["events"] = sorted(set(e for e in events if isinstance(e, str)))
    if "description" in data:
        data["description"] = str(data["description"] or "").strip()
    errors.raise_if_any()
    return data


def webhook_create(*, actor: User, data: dict[str, Any]) -> WebhookSubscription:
    """Create a subscription with a fresh signing secret (shown to the caller once)."""
    data = {**_normalize(data, None), "secret_encrypted": signing.seal(signing.new_secret())}
    return record_create(actor=actor, model=WebhookSubscription, data=data)


def webhook_update(
    *,
    actor: User,
    subscription: WebhookSubscription,
    data: dict[str, Any],
    version: int | None = None,
) -> WebhookSubscription:
    data = _normalize(data, subscription)
    if data.get("active"):
        # Switching a subscription back on clears the failure streak that switched it off.
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=0, disabled_reason=""
        )
    return record_update(
        actor=actor,
        instance=subscription,
        data=data,
        version=subscription.version if version is None else version,
    )


def webhook_rotate_secret(*, actor: User, subscription: WebhookSubscription) -> str:
    """A new signing secret, returned once; the old one stops working at once."""
    record_update(actor=actor, instance=subscription, data={}, version=subscription.version)
    secret = signing.new_secret()
    sealed = signing.seal(secret)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret_encrypted=sealed)
    subscription.secret_encrypted = sealed
    return secret


def webhook_delete(*, actor: User, subscription: WebhookSubscription) -> None:
    record_delete(actor=actor, instance=subscription)


# -- payloads ------------------------------------------------------------------------------------


def subscribed(subscription: WebhookSubscription, event: str) -> bool:
    prefix = event.split(".", 1)[0]
    return any(name in ("*", event, f"{prefix}.*") for name in subscription.events)


def _serialized(owner: User | None, record_type: str, object_id: int) -> dict[str, Any] | None:
    """The record as the API shows it to the subscription's owner; None once deleted."""
    from cyclecrm.automation.payloads import record_payload

    return record_payload(owner, record_type, object_id)


def build_payload(
    *, event: str, record_type: str, object_id: int, data: dict[str, Any], owner: User | None
) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "record_type": record_type,
        "record_id": object_id,
        "changes": _visible_event_data(owner, record_type, data),
        "data": _serialized(owner, record_type, object_id),
    }


def _visible_event_data(
    owner: User | None, record_type: str, data: dict[str, Any]
) -> dict[str, Any]:
    """The event's data without the changes of fields hidden from the subscription's owner."""
    if owner is None or not isinstance(data.get("changes"), dict):
        return data
    changes = visible_changes(owner, record_type, data["changes"])
    return {**data, "changes": changes, "changed": sorted(changes)}


def _queue(subscription: WebhookSubscription, payload: dict[str, Any]) -> WebhookDelivery:
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=payload["id"],
        event=payload["event"],
        payload=payload,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    from cyclecrm.automation.tasks import deliver_webhook

    deliver_webhook(delivery_id)


def deliveries_queue_for_event(event: Event) -> list[WebhookDelivery]:
    """One delivery per active subscription to the event (subscriptions are few: filtered here)."""
    subscriptions = [
        item
        for item in WebhookSubscription.objects.filter(active=True).select_related("owner")
        if subscribed(item, event.name)
    ]
    return [
        _queue(
            item,
            build_payload(
                event=event.name,
                record_type=event.record_type,
                object_id=event.object_id,
                data=event.data,
                owner=item.owner,
            ),
        )
        for item in subscriptions
    ]


def delivery_queue_one(
    *, subscription_id: int, event: str, record_type: str, object_id: int, data: dict[str, Any]
) -> WebhookDelivery:
    """A one-off delivery (the workflow `call_webhook` action), active subscription or not."""
    subscription = WebhookSubscription.objects.select_related("owner").get(pk=subscription_id)
    payload = build_payload(
        event=event,
        record_type=record_type,
        object_id=object_id,
        data=data,
        owner=subscription.owner,
    )
    return _queue(subscription, payload)


def webhook_send_test(*, actor: User, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a `webhook.test` event to the subscription (active or not)."""
    payload = {
        "id": f"evt_{uuid.uuid4().hex}",
        "event": TEST_EVENT,
        "occurred_at": timezone.now().isoformat(),
        "record_type": "webhook",
        "record_id": subscription.pk,
        "changes": {},
        "data": {"message": "A test event from Cycle CRM.", "sent_by": actor.pk},
    }
    with transaction.atomic():
        return _queue(subscription, payload)


def delivery_resend(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the same payload again as a new delivery (same event id, so receivers that
    deduplicate see it as the same event)."""
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        raise Conflict("This delivery is still being attempted.")
    with transaction.atomic():
        return _queue(delivery.subscription, delivery.payload)


# -- attempts ------------------------------------------------------------------------------------


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status code, body excerpt, error) of one POST; never raises."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _excerpt(response.read(BODY_EXCERPT * 2)), ""
    except urllib.error.HTTPError as exc:
        return exc.code, _excerpt(exc.read(BODY_EXCERPT * 2)), ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, "", str(getattr(exc, "reason", exc))[:500]


def _excerpt(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:BODY_EXCERPT]


def _headers(delivery: WebhookDelivery, body: bytes, now: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: delivery.event,
        signing.EVENT_ID_HEADER: delivery.event_id,
        signing.DELIVERY_HEADER: str(delivery.pk),
        signing.SIGNATURE_HEADER: signing.signature(delivery.subscription.secret, now, body),
    }


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt of a due pending or retrying delivery and record its outcome; None
    when there is nothing to attempt (done, not due, or claimed by another worker)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    started = time.monotonic()
    code, excerpt, error = _post(
        delivery.subscription.url, body, _headers(delivery, body, int(now.timestamp()))
    )
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.response_code, delivery.response_body, delivery.error = code, excerpt, error
    _settle(delivery, code, now)
    if _record_outcome(delivery):
        _count_outcome(delivery)
    return delivery


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """Count the attempt before making it, in one conditional UPDATE on the attempt count
    read: of two workers handed the same delivery (a job retried, the retry sweep run on two
    nodes) only one claims it and sends. The claimed row already waits for its next retry, so
    a worker killed during the POST leaves a delivery the retry sweep picks up again."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(due, pk=delivery_id, status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING))
        .first()
    )
    if delivery is None:
        return None
    seen = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts)
    if delivery.attempts >= MAX_ATTEMPTS:  # the worker of the last attempt was killed
        if seen.filter(status=DeliveryStatus.RETRYING).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, error=LAST_ATTEMPT_LOST
        ):
            delivery.status = DeliveryStatus.FAILED
            _count_outcome(delivery)
        return None
    lease = RETRY_DELAYS[min(delivery.attempts, len(RETRY_DELAYS) - 1)]
    claimed = seen.filter(status=delivery.status).update(
        attempts=F("attempts") + 1,
        status=DeliveryStatus.RETRYING,
        last_attempt_at=now,
        next_attempt_at=now + lease,
    )
    if not claimed:
        return None
    delivery.attempts += 1
    delivery.last_attempt_at = now
    return delivery


def _record_outcome(delivery: WebhookDelivery) -> bool:
    """Store the outcome of the attempt this worker claimed; False (nothing written) when a
    later attempt has claimed the delivery since."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
            status=delivery.status,
            next_attempt_at=delivery.next_attempt_at,
            response_code=delivery.response_code,
            response_body=delivery.response_body,
            error=delivery.error,
            duration_ms=delivery.duration_ms,
        )
    )


def _settle(delivery: WebhookDelivery, code: int | None, now: dt.datetime) -> None:
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, None
        return
    final = code is not None and 400 <= code < 500 and code not in RETRYABLE_4XX
    if final or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        return
    delivery.status = DeliveryStatus.RETRYING
    delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]


def _count_outcome(delivery: WebhookDelivery) -> None:
    subscriptions = WebhookSubscription.objects.filter(pk=delivery.subscription_id)
    if delivery.status == DeliveryStatus.SUCCEEDED:
        subscriptions.update(consecutive_failures=0)
    elif delivery.status == DeliveryStatus.FAILED:
        subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
        subscriptions.filter(consecutive_failures__gte=DISABLE_AFTER_FAILURES, active=True).update(
            active=False,
            disabled_reason=DISABLED_REASON,
        )


def deliveries_retry_due(*, now: dt.datetime | None = None) -> int:
    """Queue every retrying delivery whose next attempt is due."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.RETRYING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    for delivery_id in due:
        _enqueue(delivery_id)
    return len(due)
