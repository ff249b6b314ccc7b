"""Two workers handed the same webhook delivery (a retried job, the retry sweep on two nodes):
the attempt is claimed by one conditional UPDATE, so it is sent once and counted once; a
worker killed during its attempt leaves a delivery the retry sweep resumes.

The races run on PostgreSQL, each worker on its own connection (the in-memory SQLite test
database refuses concurrent writers instead of queueing them)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from cyclecrm.automation.models import DeliveryStatus, WebhookDelivery
from cyclecrm.automation.services import webhooks

WORKERS = 6
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)


@pytest.fixture
def delivery(admin, receiver) -> WebhookDelivery:
    hook = webhooks.webhook_create(actor=admin, data={"url": receiver.url, "events": ["*"]})
    return webhooks.delivery_queue_one(
        subscription_id=hook.pk,
        event="contact.created",
        record_type="contact",
        object_id=0,
        data={},
    )


def _in_thread(work, results: list, index: int) -> threading.Thread:
    def run() -> None:
        try:
            results[index] = work()
        except Exception as exc:  # reported by the assertions of the test
            results[index] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_does_not_send_an_attempt_in_flight(delivery, receiver):
    # given a worker whose POST is still waiting for the receiver's answer
    release = receiver.hold_first()
    results: list = [None]
    first = _in_thread(lambda: webhooks.delivery_attempt(delivery_id=delivery.pk), results, 0)
    assert receiver.arrived.wait(timeout=120)

    # when a second worker is handed the same delivery meanwhile
    second = webhooks.delivery_attempt(delivery_id=delivery.pk)
    release.set()
    first.join(timeout=120)

    # then only the first sent it, and the row counts one successful attempt
    assert second is None
    assert results[0].status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_workers_released_at_once_send_one_attempt(delivery, receiver):
    # given a receiver that fails, so every worker would have something to retry
    receiver.answer(*[503] * WORKERS)
    start = threading.Barrier(WORKERS)
    results: list = [None] * WORKERS

    def attempt() -> WebhookDelivery | None:
        start.wait()
        return webhooks.delivery_attempt(delivery_id=delivery.pk)

    # when they all attempt the delivery at the same moment
    threads = [_in_thread(attempt, results, i) for i in range(WORKERS)]
    for thread in threads:
        thread.join(timeout=120)

    # then one attempt was sent and counted, and its retry is scheduled once
    made = [r for r in results if r is not None]
    assert len(made) == 1 and isinstance(made[0], WebhookDelivery), results
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert delivery.next_attempt_at == made[0].next_attempt_at


@pytest.mark.django_db
def test_an_attempt_is_counted_before_it_is_sent(delivery, receiver):
    # given a claimed attempt whose worker was killed before it recorded an outcome
    now = timezone.now()
    claimed = webhooks._claim(delivery.pk, now)

    # then the row already counts it and waits for the retry sweep, without a request made
    delivery.refresh_from_db()
    assert claimed is not None and receiver.requests == []
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert delivery.next_attempt_at == now + webhooks.RETRY_DELAYS[0]
    assert webhooks.delivery_attempt(delivery_id=delivery.pk, now=now) is None
    assert webhooks.deliveries_retry_due(now=delivery.next_attempt_at) == 1
    resumed = webhooks.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert resumed.status == DeliveryStatus.SUCCEEDED and resumed.attempts == 2
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_lost_last_attempt_fails_the_delivery_without_sending(delivery, receiver):
    # given a delivery whose last allowed attempt was claimed by a worker that was killed
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=webhooks.MAX_ATTEMPTS, status=DeliveryStatus.RETRYING
    )

    # when the retry sweep hands it to a worker
    result = webhooks.delivery_attempt(delivery_id=delivery.pk)

    # then it ends failed, counted against the subscription, and nothing is sent
    delivery.refresh_from_db()
    assert result is None and receiver.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == webhooks.LAST_ATTEMPT_LOST
    delivery.subscription.refresh_from_db()
    assert delivery.subscription.consecutive_failures == 1
