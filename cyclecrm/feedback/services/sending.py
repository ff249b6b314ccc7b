"""Sending survey invitations by e-mail.

Each invitation carries a fresh random token (only its hash is stored, see `tokens.py`); the
e-mail goes through the ordinary outbound path (`integrations.services.outbound.email_send`), so
it is logged as an outbound e-mail on the contact's timeline, sent by the Huey job and refused to
anyone flagged do-not-contact. Contacts without an address or who asked not to be contacted are
skipped and reported, not treated as an error of the whole send."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.feedback.models import Survey, SurveyInvitation
from cyclecrm.feedback.tokens import token_new
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.integrations.services.outbound import email_send

MAX_CONTACTS_PER_SEND = 500
NOT_ACTIVE = "This survey is not active."
NO_CONTACTS = "Choose at least one contact."


@dataclass
class SendResult:
    invitations: list[SurveyInvitation] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def survey_link(token: str) -> str:
    return settings.CYCLECRM["BASE_URL"] + reverse("survey_answer", args=[token])


def _body(survey: Survey, contact: Contact, link: str, expires_at: dt.datetime) -> str:
    intro = escape(survey.email_intro) if survey.email_intro else ""
    greeting = f"Hello {escape(contact.first_name)}," if contact.first_name else "Hello,"
    return (
        f"<p>{greeting}</p>"
        + (f"<p>{intro}</p>" if intro else "")
        + f"<p>{escape(survey.question)}</p>"
        + f'<p>Answer here: <a href="{escape(link)}">{escape(link)}</a></p>'
        + f"<p>The link works once, until {expires_at:%Y-%m-%d}.</p>"
    )


def _skip_reason(contact: Contact) -> str:
    if contact.do_not_contact:
        return "asked not to be contacted"
    if not contact.email:
        return "has no e-mail address"
    return ""


def survey_send(
    *,
    actor: User,
    survey: Survey,
    contacts: Iterable[Contact],
    case: Any = None,
) -> SendResult:
    """Invite each contact by e-mail (see the module doc). The actor must be allowed to change
    the survey and to read each contact."""
    if not access.can(actor, "edit", survey):
        raise Forbidden("You may not send this survey.")
    if not survey.is_active:
        raise ValidationFailed(fields={"survey": [NOT_ACTIVE]})
    contacts = list(contacts)
    if not contacts:
        raise ValidationFailed(fields={"contact_ids": [NO_CONTACTS]})
    if len(contacts) > MAX_CONTACTS_PER_SEND:
        raise ValidationFailed(
            fields={"contact_ids": [f"At most {MAX_CONTACTS_PER_SEND} contacts at once."]}
        )
    result = SendResult()
    now = timezone.now()
    expires_at = now + dt.timedelta(days=survey.link_valid_days)
    for contact in contacts:
        reason = _skip_reason(contact)
        if reason:
            result.skipped[contact.pk] = reason
            continue
        token, digest = token_new()
        with transaction.atomic():
            email = email_send(
                actor=actor,
                data={
                    "contact": contact.pk,
                    "subject": survey.email_subject,
                    "body": _body(survey, contact, survey_link(token), expires_at),
                },
            )
            invitation = SurveyInvitation.objects.create(
                survey=survey,
                contact=contact,
                case=case,
                token_hash=digest,
                sent_at=now,
                expires_at=expires_at,
                email=email,
            )
        result.invitations.append(invitation)
    return result
