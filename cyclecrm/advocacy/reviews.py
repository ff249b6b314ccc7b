"""Reviews: written by the customer through a review link, or logged by staff for a review
received elsewhere; then moderated (approve, reject with a reason, feature, unfeature).

- Text is stored as plain text (trimmed, control characters removed) and escaped wherever it is
  shown; nothing the customer writes is rendered as HTML.
- Publishing with a name or a company only means something with the permission to publish at
  all: without it both are stored as False, so an export can never show them.
- Only an approved review with permission to publish may be featured; rejecting or withdrawing
  approval unfeatures it.
- Every submitted review (by link or logged) emits `review.submitted` after commit; loyalty
  awards its `review_written` points on it."""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.activities.interactions import interaction_log
from cyclecrm.activities.models import Channel, Direction
from cyclecrm.advocacy.models import Review, ReviewRequest, ReviewStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import record_create
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.identity.system import system_actor

logger = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_REASON = 300
RATING_RANGE = "Choose a rating from 1 to 5."
LINK_USED = "This review link has already been used."
LINK_EXPIRED = "This review link has expired."
NOT_FEATURABLE = "Only an approved review the customer allowed us to publish can be featured."
REASON_REQUIRED = "Say why the review is rejected."
_TRUE = {"1", "true", "on", "yes"}


def _plain(value: Any, limit: int, field: str, errors: FieldErrors) -> str:
    text = "".join(ch for ch in str(value or "") if ch in "\n\t" or ch.isprintable()).strip()
    if len(text) > limit:
        errors.add(field, f"At most {limit} characters.")
    return text


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def review_clean(data: dict[str, Any]) -> dict[str, Any]:
    """The customer's answer, validated: each bad field is named in one ValidationFailed."""
    errors = FieldErrors()
    try:
        rating = int(str(data.get("rating", "")).strip())
    except ValueError:
        rating = 0
    if not 1 <= rating <= 5:
        errors.add("rating", RATING_RANGE)
    title = _plain(data.get("title"), MAX_TITLE, "title", errors)
    text = _plain(data.get("text"), MAX_TEXT, "text", errors)
    if not text and not title:
        errors.add("text", "Write a few words about your experience.")
    errors.raise_if_any()
    consent = _flag(data.get("publish_consent"))
    return {
        "rating": rating,
        "title": title,
        "text": text,
        "publish_consent": consent,
        "publish_name": consent and _flag(data.get("publish_name")),
        "publish_company": consent and _flag(data.get("publish_company")),
    }


def _submitted(review: Review) -> Event:
    data = {"review_id": review.pk, "contact_id": review.contact_id}
    return Event("review.submitted", "review", review.pk, None, data)


def _log_on_timeline(review: Review) -> None:
    interaction_log(
        actor=system_actor(),
        data={
            "channel": Channel.NOTE,
            "direction": Direction.INBOUND,
            "subject": f"Review {review.rating}/5: {review.title or 'no title'}"[:200],
            "body": review.text or "(no text)",
            "occurred_at": review.submitted_at,
            "owner_id": review.contact.owner_id,
            "contact": review.contact_id,
        },
    )


def review_submit(*, request: ReviewRequest, data: dict[str, Any]) -> Review:
    """Store the review written through `request`'s link, once (the row is locked)."""
    cleaned = review_clean(data)
    now = timezone.now()
    with transaction.atomic():
        locked = (
            ReviewRequest.objects.select_for_update(of=("self",))
            .select_related("contact")
            .get(pk=request.pk)
        )
        if locked.answered_at is not None:
            raise ValidationFailed(LINK_USED, fields={"token": [LINK_USED]})
        if locked.sent_at is None or locked.expires_at <= now:
            raise ValidationFailed(LINK_EXPIRED, fields={"token": [LINK_EXPIRED]})
        contact = locked.contact
        review = record_create(
            actor=system_actor(),
            model=Review,
            data={
                **cleaned,
                "request": locked,
                "contact": contact,
                "account_id": locked.account_id or contact.account_id,
                "product_id": locked.product_id,
                "submitted_at": now,
                "owner_id": contact.owner_id,
            },
        )
        locked.answered_at = now
        locked.save(update_fields=["answered_at"])
        _log_on_timeline(review)
        emit(_submitted(review))
    return review


def review_log(*, actor: User, contact: Contact, data: dict[str, Any]) -> Review:
    """Staff log a review received elsewhere (by phone, at an event, on a review site). The
    caller has checked that `actor` may read `contact`; creating needs the `review` right."""
    extra = {k: data[k] for k in ("account_id", "product_id", "submitted_at") if data.get(k)}
    cleaned = review_clean(data)
    with transaction.atomic():
        review = record_create(
            actor=actor,
            model=Review,
            data={
                **cleaned,
                "contact": contact,
                "account_id": extra.get("account_id", contact.account_id),
                "product_id": extra.get("product_id"),
                "submitted_at": extra.get("submitted_at") or timezone.now(),
                "owner_id": data.get("owner_id", actor.pk),
            },
        )
        _log_on_timeline(review)
        emit(_submitted(review))
    return review


# -- moderation -------------------------------------------------------------------------------


def _moderate(actor: User, review: Review, changes: dict[str, Any]) -> Review:
    """Write moderation fields (derived: not editable through record_update) with the version
    bump, the history row and a `review.moderated` event, in one transaction."""
    if not access.can(actor, Action.EDIT, review):
        if access.can(actor, Action.READ, review):
            raise Forbidden("You may not moderate reviews.")
        raise NotFound("No review with this id.")
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        before = snapshot(locked)
        for name, value in {**changes, "moderated_at": timezone.now()}.items():
            setattr(locked, name, value)
        locked.moderated_by = actor
        locked.updated_by = actor
        locked.updated_at = timezone.now()
        locked.version += 1
        locked.save()
        history_record(
            actor=actor,
            instance=locked,
            action=HistoryAction.UPDATE,
            changes=diff(before, snapshot(locked)),
        )
        data = {"status": locked.status, "featured": locked.featured}
        emit(Event("review.moderated", "review", locked.pk, actor.pk, data))
    return locked


def review_approve(*, actor: User, review: Review) -> Review:
    return _moderate(actor, review, {"status": ReviewStatus.APPROVED, "rejection_reason": ""})


def review_reject(*, actor: User, review: Review, reason: str) -> Review:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationFailed(fields={"reason": [REASON_REQUIRED]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(fields={"reason": [f"At most {MAX_REASON} characters."]})
    changes = {"status": ReviewStatus.REJECTED, "rejection_reason": reason, "featured": False}
    return _moderate(actor, review, changes)


def review_feature(*, actor: User, review: Review, featured: bool = True) -> Review:
    if featured and not (review.status == ReviewStatus.APPROVED and review.publish_consent):
        raise Conflict(NOT_FEATURABLE, fields={"featured": [NOT_FEATURABLE]})
    return _moderate(actor, review, {"featured": featured})
