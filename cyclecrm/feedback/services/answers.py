"""Answering a survey through its public link, acting as the system actor.

A link is answered once: the invitation row is locked while the answer is stored, so two
submissions racing each other cannot both count. The answer is logged on the contact's timeline
(a `note` interaction, linked to the case for CSAT) and a detractor or unsatisfied answer opens a
follow-up task for the contact's owner."""

import datetime as dt
import enum
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.activities.interactions import interaction_log
from cyclecrm.activities.models import Channel, Direction
from cyclecrm.activities.services import task_create
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.feedback.models import (
    NEGATIVE,
    SCALES,
    SurveyInvitation,
    SurveyResponse,
    score_category,
)
from cyclecrm.feedback.tokens import token_hash, token_well_formed
from cyclecrm.identity.system import system_actor

MAX_COMMENT = 5000
FOLLOW_UP_DAYS = 2


class LinkState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


ALREADY_ANSWERED = "This survey has already been answered."
EXPIRED = "This survey link has expired."


def invitation_for_token(token: str) -> tuple[SurveyInvitation | None, LinkState]:
    """The invitation a link token belongs to and whether it can still be answered. A malformed
    or unknown token is `UNKNOWN` (the caller shows the same page for both)."""
    if not token_well_formed(token):
        return None, LinkState.UNKNOWN
    invitation = (
        SurveyInvitation.objects.select_related("survey", "contact")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        return None, LinkState.UNKNOWN
    return invitation, _state(invitation, timezone.now())


def _state(invitation: SurveyInvitation, now: dt.datetime) -> LinkState:
    if invitation.answered_at is not None:
        return LinkState.ANSWERED
    if invitation.expires_at <= now or not invitation.survey.is_active:
        return LinkState.EXPIRED
    return LinkState.OPEN


def _clean(kind: str, score: Any, comment: Any) -> tuple[int, str]:
    errors = FieldErrors()
    low, high = SCALES[kind]
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        errors.add("score", f"Choose a score from {low} to {high}.")
    text = str(comment or "").strip()
    if len(text) > MAX_COMMENT:
        errors.add("comment", f"At most {MAX_COMMENT} characters.")
    errors.raise_if_any()
    return value or 0, text


def response_submit(
    *, invitation: SurveyInvitation, score: Any, comment: Any = ""
) -> SurveyResponse:
    """Store the answer given through `invitation`'s link (see the module doc)."""
    survey = invitation.survey
    score, comment = _clean(survey.kind, score, comment)
    now = timezone.now()
    with transaction.atomic():
        locked = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("survey", "contact", "case")
            .get(pk=invitation.pk)
        )
        state = _state(locked, now)
        if state != LinkState.OPEN:
            message = ALREADY_ANSWERED if state == LinkState.ANSWERED else EXPIRED
            raise ValidationFailed(message, fields={"token": [message]})
        category = score_category(survey.kind, score)
        response = SurveyResponse.objects.create(
            survey=survey,
            invitation=locked,
            contact=locked.contact,
            case=locked.case,
            score=score,
            comment=comment,
            category=category,
            answered_at=now,
        )
        locked.answered_at = now
        locked.save(update_fields=["answered_at"])
        _log(response)
        if category in NEGATIVE:
            _follow_up(response)
        emit(_answered_event(response))
    return response


def _answered_event(response: SurveyResponse) -> Event:
    """`survey.answered` on the contact: loyalty points and review requests listen to it."""
    data = {
        "response_id": response.pk,
        "survey_id": response.survey_id,
        "kind": response.survey.kind,
        "score": response.score,
        "category": response.category,
    }
    return Event("survey.answered", "contact", response.contact_id, None, data)


def response_label(response: SurveyResponse) -> str:
    return f"{response.survey.get_kind_display().split(' ')[0]} {response.score} — " + (
        response.get_category_display().lower()
    )


def _log(response: SurveyResponse) -> None:
    links: dict[str, Any] = {"contact": response.contact_id}
    if response.case_id:
        links["case"] = response.case_id
    interaction_log(
        actor=system_actor(),
        data={
            "channel": Channel.NOTE,
            "direction": Direction.INBOUND,
            "subject": f"{response_label(response)} ({response.survey.name})"[:200],
            "body": response.comment or "(no comment)",
            "occurred_at": response.answered_at,
            "owner_id": response.contact.owner_id,
            **links,
        },
    )


def _follow_up(response: SurveyResponse) -> None:
    contact = response.contact
    case_note = f" about case {response.case.number}" if response.case_id else ""
    task_create(
        actor=system_actor(),
        data={
            "title": f"Follow up: {response_label(response)} from {contact}"[:200],
            "description": (
                f"{contact} answered {response.score} to “{response.survey.question}”{case_note}."
                + (f"\n\nComment: {response.comment}" if response.comment else "")
            )[:10000],
            "contact_id": contact.pk,
            # the contact's owner; for an unowned contact, the agent of the case answered about
            "owner_id": contact.owner_id or (response.case.owner_id if response.case_id else None),
            "priority": "high",
            "due_at": response.answered_at + dt.timedelta(days=FOLLOW_UP_DAYS),
        },
    )
