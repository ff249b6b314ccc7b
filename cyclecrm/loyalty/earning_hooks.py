"""Domain events that earn or take back points, delivered after commit (core/events.py).

- `order.paid`, `order.fulfilled`: spend and first-purchase points (`loyalty.spend`); the
  fulfilled event earns only what paid did not (same source keys);
- `order.cancelled`, `order.refunded`: reverse what the order earned;
- `survey.answered` (record type contact): `survey_answered` points, keyed by the response;
- `review.submitted` (record type review, data `review_id`, `contact_id`): `review_written`
  points, keyed by the review.
Birthday points are a daily job (`birthdays.birthday_points`), not an event."""

from collections.abc import Callable

from cyclecrm.catalog.models import Order
from cyclecrm.core.events import Event
from cyclecrm.loyalty.earning import points_for_action
from cyclecrm.loyalty.models import EarningAction
from cyclecrm.loyalty.spend import order_earn, order_reverse


def _order(event: Event) -> Order | None:
    return Order.objects.filter(pk=event.object_id).first()


def on_order_paid(event: Event) -> None:
    order = _order(event)
    if order is not None:
        order_earn(order=order)


def on_order_undone(event: Event) -> None:
    order = _order(event)
    if order is not None:
        order_reverse(order=order)


def on_survey_answered(event: Event) -> None:
    response_id = event.data.get("response_id")
    if not event.object_id or not response_id:
        return
    points_for_action(
        contact_id=event.object_id,
        action=EarningAction.SURVEY_ANSWERED,
        source_key=f"survey_response:{response_id}",
        reason=f"Answered survey {event.data.get('survey_id', '')}".strip(),
    )


def on_review_submitted(event: Event) -> None:
    review_id = event.data.get("review_id") or event.object_id
    contact_id = event.data.get("contact_id")
    if not contact_id or not review_id:
        return
    points_for_action(
        contact_id=contact_id,
        action=EarningAction.REVIEW_WRITTEN,
        source_key=f"review:{review_id}",
        reason="Wrote a review",
    )


HANDLERS: dict[str, Callable[[Event], None]] = {
    "order.paid": on_order_paid,
    "order.fulfilled": on_order_paid,
    "order.cancelled": on_order_undone,
    "order.refunded": on_order_undone,
    "survey.answered": on_survey_answered,
    "review.submitted": on_review_submitted,
}
