"""Review policies and review requests: when to ask a customer for a review, and asking.

A policy names its trigger (a won deal, a completed onboarding, a promoter NPS answer, or a
request sent by hand), a delay, a quiet period and the e-mail. A trigger creates a
`ReviewRequest` due `delay_days` later; due requests are sent by the periodic job
(`advocacy.tasks.send_due_review_requests`), or at once when there is no delay.

Who is never asked (the reason is logged, and returned to a person asking by hand):
- a contact without an e-mail address, flagged do-not-contact, or who unsubscribed from e-mail
  (consent withdrawn through an unsubscribe link, as the mailings decide it);
- a contact asked within the policy's quiet period (sent or still due), or with an open link.
A review request is a service message about a purchase, like a survey invitation: it does not
need marketing consent, but an unsubscribe is honoured.

The link token is created when the e-mail is sent; only its SHA-256 is stored (`feedback.tokens`).
A due request whose contact can no longer be asked is withdrawn: its `expires_at` is set to the
moment of the check, so it is never sent and does not count for the quiet period."""

import datetime as dt
import logging
from html import escape
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cyclecrm.advocacy.models import ReviewPolicy, ReviewRequest, ReviewTrigger
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.feedback.tokens import token_new
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations.services.outbound import email_send

logger = logging.getLogger(__name__)

POLICY_FIELDS = {
    "name", "trigger", "is_active", "delay_days", "quiet_days", "link_valid_days",
    "email_subject", "email_intro", "owner_id", "team_id",
}  # fmt: skip
MAX_DAYS = 3650
UNSUBSCRIBE_SOURCE = "unsubscribe"
DEFAULT_SUBJECT = "Would you share your experience with us?"
DEFAULT_VALID_DAYS = 30

NO_EMAIL = "has no e-mail address"
DO_NOT_CONTACT = "asked not to be contacted"
UNSUBSCRIBED = "unsubscribed from e-mail"
OPEN_REQUEST = "already has an open review request"
QUIET = "was asked for a review in the last {days} days"
MAY_NOT_ASK = "You may not ask this contact for a review: it needs edit rights on the contact."


# -- policies ---------------------------------------------------------------------------------


def _normalize_policy(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - POLICY_FIELDS):
        errors.add(name, "Unknown field.")
    for name in ("name", "email_subject"):
        if creating or name in data:
            data[name] = " ".join(str(data.get(name) or "").split())
            if not data[name]:
                errors.add(name, "This field is required.")
    if "email_intro" in data:
        data["email_intro"] = str(data["email_intro"] or "").strip()
    if (creating or "trigger" in data) and data.get("trigger") not in ReviewTrigger.values:
        errors.add("trigger", f"Choose one of: {', '.join(ReviewTrigger.values)}.")
    for name in ("delay_days", "quiet_days", "link_valid_days"):
        if name in data and not (0 <= int(data[name] or 0) <= MAX_DAYS):
            errors.add(name, f"Between 0 and {MAX_DAYS} days.")
    if "link_valid_days" in data and int(data["link_valid_days"] or 0) < 1:
        errors.add("link_valid_days", "At least 1 day.")
    errors.raise_if_any()
    return data


def review_policy_create(*, actor: User, data: dict[str, Any]) -> ReviewPolicy:
    return record_create(actor=actor, model=ReviewPolicy, data=_normalize_policy(data, True))


def review_policy_update(
    *, actor: User, policy: ReviewPolicy, data: dict[str, Any], version: int | None = None
) -> ReviewPolicy:
    return record_update(
        actor=actor,
        instance=policy,
        data=_normalize_policy(data, False),
        version=policy.version if version is None else version,
    )


def review_policy_delete(*, actor: User, policy: ReviewPolicy) -> None:
    record_delete(actor=actor, instance=policy)


# -- who may be asked -------------------------------------------------------------------------


def _open_q(now: dt.datetime) -> Q:
    """Requests still to be sent, or sent with a link that can still be answered."""
    return Q(answered_at__isnull=True, expires_at__gt=now)


def skip_reason(contact: Contact, *, quiet_days: int, now: dt.datetime | None = None) -> str:
    """Why `contact` may not be asked for a review now, or ""."""
    now = now or timezone.now()
    if not (contact.email or "").strip():
        return NO_EMAIL
    if contact.do_not_contact:
        return DO_NOT_CONTACT
    if not contact.consent_email and (contact.consent_email_source or "").startswith(
        UNSUBSCRIBE_SOURCE
    ):
        return UNSUBSCRIBED
    requests = ReviewRequest.objects.filter(contact=contact)
    if requests.filter(_open_q(now)).exists():
        return OPEN_REQUEST
    since = now - dt.timedelta(days=quiet_days)
    if quiet_days and requests.filter(sent_at__gte=since).exists():
        return QUIET.format(days=quiet_days)
    return ""


# -- creating and sending ---------------------------------------------------------------------


def review_request_create(
    *,
    policy: ReviewPolicy | None,
    contact: Contact,
    trigger: str,
    sender: User | None = None,
    links: dict[str, Any] | None = None,
    delay_days: int | None = None,
) -> ReviewRequest:
    """Create the request (due after the policy's delay) and send it when due now. Raises
    ValidationFailed naming `contact` when the contact may not be asked (see the module doc)."""
    now = timezone.now()
    quiet = policy.quiet_days if policy else 0
    reason = skip_reason(contact, quiet_days=quiet, now=now)
    if reason:
        logger.info("Review request to contact %s not created: %s", contact.pk, reason)
        raise ValidationFailed(f"This contact {reason}.", fields={"contact": [reason]})
    if delay_days is None:
        delay_days = policy.delay_days if policy else 0
    delay = delay_days
    valid = policy.link_valid_days if policy else DEFAULT_VALID_DAYS
    due_at = now + dt.timedelta(days=delay)
    links = dict(links or {})
    if links.get("account_id") is None:
        links["account_id"] = contact.account_id
    with transaction.atomic():
        request = ReviewRequest.objects.create(
            policy=policy,
            trigger=trigger,
            contact=contact,
            token_hash=token_new()[1],  # replaced when sent: no link exists before that
            due_at=due_at,
            expires_at=due_at + dt.timedelta(days=valid),
            created_at=now,
            **links,
        )
        if delay == 0:
            _send(request, sender=sender or system_actor(), now=now)
    return request


def review_link(token: str) -> str:
    return settings.CYCLECRM["BASE_URL"] + reverse("review_answer", args=[token])


def _body(request: ReviewRequest, link: str) -> str:
    contact = request.contact
    intro = request.policy.email_intro if request.policy else ""
    greeting = f"Hello {escape(contact.first_name)}," if contact.first_name else "Hello,"
    return (
        f"<p>{greeting}</p>"
        + (f"<p>{escape(intro)}</p>" if intro else "")
        + "<p>Would you tell us how we did? It takes a minute: a rating and a few words.</p>"
        + f'<p>Write your review here: <a href="{escape(link)}">{escape(link)}</a></p>'
        + f"<p>The link works once, until {request.expires_at:%Y-%m-%d}. We publish nothing "
        + "without your permission.</p>"
    )


def _send(request: ReviewRequest, *, sender: User, now: dt.datetime) -> None:
    """Send the e-mail with a fresh token; call inside a transaction holding the row."""
    valid = request.policy.link_valid_days if request.policy else DEFAULT_VALID_DAYS
    token, digest = token_new()
    request.token_hash = digest
    request.sent_at = now
    request.expires_at = now + dt.timedelta(days=valid)
    subject = request.policy.email_subject if request.policy else DEFAULT_SUBJECT
    request.email = email_send(
        actor=sender,
        data={
            "contact": request.contact_id,
            "subject": subject,
            "body": _body(request, review_link(token)),
        },
    )
    request.save(update_fields=["token_hash", "sent_at", "expires_at", "email"])


def review_request_send_due(*, request_id: int, now: dt.datetime | None = None) -> bool:
    """Send one due request (row-locked, so two workers cannot both send it); a contact who
    may no longer be asked gets the request withdrawn. True when an e-mail went out."""
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            ReviewRequest.objects.select_for_update(of=("self",))
            .select_related("policy", "contact")
            .filter(pk=request_id, sent_at__isnull=True, expires_at__gt=now, due_at__lte=now)
            .first()
        )
        if request is None:
            return False
        quiet = request.policy.quiet_days if request.policy else 0
        others = ReviewRequest.objects.exclude(pk=request.pk)
        reason = _send_skip_reason(request.contact, others, quiet, now)
        if reason:
            logger.info("Review request %s withdrawn: contact %s", request.pk, reason)
            request.expires_at = now
            request.save(update_fields=["expires_at"])
            return False
        _send(request, sender=system_actor(), now=now)
    return True


def _send_skip_reason(contact: Contact, others: Any, quiet: int, now: dt.datetime) -> str:
    reason = skip_reason(contact, quiet_days=0, now=now)
    if reason and reason != OPEN_REQUEST:
        return reason
    mine = others.filter(contact=contact)
    if mine.filter(_open_q(now), sent_at__isnull=False).exists():
        return OPEN_REQUEST
    if quiet and mine.filter(sent_at__gte=now - dt.timedelta(days=quiet)).exists():
        return QUIET.format(days=quiet)
    return ""


def review_requests_send_due(*, now: dt.datetime | None = None) -> int:
    """The periodic job: send every request that became due. Idempotent; returns how many
    e-mails went out."""
    now = now or timezone.now()
    due = ReviewRequest.objects.filter(
        sent_at__isnull=True, due_at__lte=now, expires_at__gt=now
    ).order_by("due_at", "id")
    sent = 0
    for request_id in list(due.values_list("id", flat=True)[:1000]):
        sent += review_request_send_due(request_id=request_id, now=now)
    return sent


def review_request_manual(*, actor: User, contact: Contact) -> ReviewRequest:
    """ "Ask for a review" on the contact page: sent now, in the actor's name, using the active
    `manual` policy's e-mail and quiet period when there is one."""
    if not access.can(actor, Action.READ, contact):
        raise Forbidden(MAY_NOT_ASK)
    may_edit = access.can(actor, Action.EDIT, contact)
    if not may_edit and access.level(actor, "review", Action.CREATE) == Level.NONE:
        raise Forbidden(MAY_NOT_ASK)
    policy = (
        ReviewPolicy.objects.filter(trigger=ReviewTrigger.MANUAL, is_active=True)
        .order_by("id")
        .first()
    )
    return review_request_create(
        policy=policy, contact=contact, trigger=ReviewTrigger.MANUAL, sender=actor, delay_days=0
    )
