"""Writes for capture forms: managing the forms (admins and marketers), and receiving what
people submit through them (the public page and the JSON endpoint share `submission_receive`).

A submission goes: rate limits → reading and validation → honeypot → lead created, or attached
to the open lead with the same e-mail → submission row → (double opt-in) confirmation e-mail after
commit. The lead and the submission row are written in one transaction; rate-limit and honeypot
rejections write only their own submission row.
"""

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cyclecrm.campaigns.services import capture_attribute
from cyclecrm.core.db.counters import increment
from cyclecrm.core.errors import NotFound
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import record_update
from cyclecrm.dataquality.duplicates.flagging import flag_new_record
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.leads.capture import selectors
from cyclecrm.leads.capture.fields import CONSENT_FIELD, CONSENT_TRUE, TOKEN_FIELD
from cyclecrm.leads.capture.form_admin import (
    capture_form_create,
    capture_form_delete,
    capture_form_update,
)
from cyclecrm.leads.capture.parse import ParsedSubmission, sanitized, submission_parse
from cyclecrm.leads.capture.ratelimit import RateLimited, ip_fingerprint, limit_exceeded
from cyclecrm.leads.capture.tokens import (
    TokenExpired,
    TokenInvalid,
    confirmation_nonce,
    confirmation_token,
    form_token_valid,
    nonce_from_confirmation,
)
from cyclecrm.leads.models import (
    CaptureForm,
    FormSubmission,
    FormView,
    Lead,
    SubmissionStatus,
)
from cyclecrm.leads.services import lead_create, lead_update

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
PENDING_CONFIRMATION = "pending_confirmation"
DEFAULT_THANK_YOU = "Thank you! We received your message and will be in touch soon."
CHECK_INBOX = "Please check your inbox: click the link in our e-mail to confirm your address."
REASON_HONEYPOT = "Honeypot field filled in (likely a bot)."
USER_AGENT_MAX = 300

__all__ = [
    "ACCEPTED",
    "PENDING_CONFIRMATION",
    "Confirmation",
    "RateLimited",
    "Receipt",
    "capture_form_create",
    "capture_form_delete",
    "capture_form_update",
    "submission_confirm",
    "submission_receive",
]


@dataclass(frozen=True)
class Receipt:
    """What the submitter is told. A honeypot rejection gets the same answer as a success."""

    status: str  # ACCEPTED or PENDING_CONFIRMATION
    message: str
    redirect_url: str = ""


def _receipt(form: CaptureForm, *, pending: bool) -> Receipt:
    message = form.thank_you_message or DEFAULT_THANK_YOU
    if pending:
        return Receipt(PENDING_CONFIRMATION, f"{message} {CHECK_INBOX}", form.redirect_url)
    return Receipt(ACCEPTED, message, form.redirect_url)


def _user_agent(value: str) -> str:
    return "".join(ch for ch in str(value or "") if ch.isprintable())[:USER_AGENT_MAX]


def _ticked(data: Any) -> bool:
    if not isinstance(data, Mapping):
        return False
    value = data.get(CONSENT_FIELD)
    return value is True or (isinstance(value, str) and value.strip().lower() in CONSENT_TRUE)


def _reject(form: CaptureForm, ip_hash: str, reason: str, data: dict, now: Any) -> None:
    FormSubmission.objects.create(
        form=form,
        ip_hash=ip_hash,
        status=SubmissionStatus.REJECTED,
        reason=reason,
        data=data,
        at=now,
    )


def submission_receive(
    *, form: CaptureForm, data: Any, ip: str, user_agent: str, site_url: str
) -> Receipt:
    """Receive one submission of `form`. `site_url` (scheme and host) prefixes the confirmation
    link. Raises RateLimited (429) or ValidationFailed (422, nothing stored)."""
    if not form.is_active:
        raise NotFound("This form no longer accepts submissions.")
    now = timezone.now()
    ip_hash = ip_fingerprint(ip)
    token = data.get(TOKEN_FIELD) if isinstance(data, Mapping) else None
    trusted = form_token_valid(form.public_key, token)
    meta = {"user_agent": _user_agent(user_agent), "form_token": trusted}
    with transaction.atomic():
        exceeded = limit_exceeded(form=form, ip_hash=ip_hash, trusted=trusted, now=now)
        if exceeded:
            _reject(form, ip_hash, exceeded.reason, meta, now)
    if exceeded:
        raise RateLimited(
            retry_after=exceeded.retry_after,
            message="Too many submissions; please try again later.",
        )
    parsed = submission_parse(form, data)
    if parsed.honeypot:
        _reject(form, ip_hash, REASON_HONEYPOT, {**meta, "values": sanitized(form, data)}, now)
        return _receipt(form, pending=form.double_opt_in and _ticked(data))
    pending = form.double_opt_in and parsed.consent and bool(parsed.values.get("email"))
    with transaction.atomic():
        lead, attached = _lead_for(form, parsed, pending=pending, now=now)
        capture_attribute(
            lead=lead, campaign=parsed.campaign, utm_campaign=parsed.utm.get("utm_campaign")
        )
        nonce = confirmation_nonce() if pending else ""
        submission = FormSubmission.objects.create(
            form=form,
            ip_hash=ip_hash,
            status=SubmissionStatus.PENDING if pending else SubmissionStatus.ACCEPTED,
            data={
                **parsed.stored(),
                **meta,
                "consent_text": form.consent_text if parsed.consent else "",
            },
            lead=lead,
            confirmation_token=nonce,
            at=now,
        )
        if attached:
            _note_submission(lead, submission)
        if not pending:
            _emit_submitted(submission)
        if pending:
            link = site_url.rstrip("/") + reverse(
                "capture_form_confirm", args=[confirmation_token(nonce)]
            )
            transaction.on_commit(
                partial(_send_confirmation, email=lead.email, form=form, link=link)
            )
    return _receipt(form, pending=pending)


# -- the lead behind a submission -------------------------------------------------------------


def _lead_for(
    form: CaptureForm, parsed: ParsedSubmission, *, pending: bool, now: Any
) -> tuple[Lead, bool]:
    """The lead the submission creates, or the open one it attaches to (then True)."""
    actor = system_actor()
    consent_now = parsed.consent and not pending
    existing = selectors.open_lead_by_email(actor=actor, email=parsed.values.get("email", ""))
    if existing is None:
        data = {
            **parsed.values,
            **parsed.utm,
            "source": form.source,
            "capture_form_id": form.pk,
            "campaign_name": form.campaign_name,
            "referral_code": parsed.referral_code,
        }
        if consent_now:
            data |= {"consent_email": True, "consent_text": form.consent_text}
        lead = lead_create(actor=actor, data=data, referral_source="form")
        flag_new_record(actor=actor, instance=lead)
        if consent_now:
            _stamp_consent_time(actor, lead, now)
        return lead, False
    _attach(actor, existing, form, parsed, consent_now=consent_now, now=now)
    return existing, True


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _attach(
    actor: User,
    lead: Lead,
    form: CaptureForm,
    parsed: ParsedSubmission,
    *,
    consent_now: bool,
    now: Any,
) -> None:
    """Fill the lead's empty fields (never overwrite what someone typed or edited), take the
    latest UTM parameters, and record a fresh consent."""
    updates: dict[str, Any] = {
        name: value for name, value in parsed.values.items() if _empty(getattr(lead, name))
    }
    updates |= parsed.utm
    if lead.capture_form_id is None:
        updates["capture_form_id"] = form.pk
    if form.campaign_name and not lead.campaign_name:
        updates["campaign_name"] = form.campaign_name
    if consent_now:
        updates |= {"consent_email": True, "consent_text": form.consent_text}
    updates = {name: value for name, value in updates.items() if getattr(lead, name) != value}
    if updates:
        lead_update(actor=actor, lead=lead, data=updates, version=lead.version)
    if consent_now:
        _stamp_consent_time(actor, lead, now)


def _stamp_consent_time(actor: User, lead: Lead, at: Any) -> None:
    """leads.services takes `consent_email` but not its time (not an input field), so the time
    is written through the record write path, in the same transaction."""
    record_update(actor=actor, instance=lead, data={"consent_email_at": at}, version=lead.version)


def _note_submission(lead: Lead, submission: FormSubmission) -> None:
    """The lead's history shows every later submission that attached to it."""
    history_record(
        actor=system_actor(),
        instance=lead,
        action=HistoryAction.UPDATE,
        changes={"form_submission": [None, f"{submission.form.name} (#{submission.pk})"]},
    )


def _send_confirmation(*, email: str, form: CaptureForm, link: str) -> None:
    """Sent after commit; a mail server failure is logged, not shown to the submitter (the
    submission stays pending and can be confirmed from a resent link)."""
    context = {"form": form, "link": link}
    subject = render_to_string("leads/capture/confirm_email_subject.txt", context).strip()
    body = render_to_string("leads/capture/confirm_email.txt", context)
    try:
        send_mail(subject, body, None, [email])
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send the confirmation e-mail of capture form %s", form.pk)


# -- double opt-in confirmation ---------------------------------------------------------------

CONFIRMED = "confirmed"
ALREADY_CONFIRMED = "already_confirmed"
EXPIRED = "expired"
INVALID = "invalid"


@dataclass(frozen=True)
class Confirmation:
    outcome: str  # CONFIRMED, ALREADY_CONFIRMED, EXPIRED or INVALID
    form: CaptureForm | None = None


def submission_confirm(*, token: str) -> Confirmation:
    """Confirm the e-mail address of a pending submission: the submission becomes accepted and
    its lead gets e-mail consent with the time of confirmation. Confirming twice is harmless."""
    expired = False
    try:
        nonce = nonce_from_confirmation(token)
    except TokenExpired:
        expired = True
        nonce = nonce_from_confirmation(token, check_age=False)
    except TokenInvalid:
        return Confirmation(INVALID)
    now = timezone.now()
    with transaction.atomic():
        submission = selectors.submission_by_nonce(nonce)
        if submission is None:
            return Confirmation(INVALID)
        if submission.confirmed_at is not None:
            return Confirmation(ALREADY_CONFIRMED, submission.form)
        if expired:
            return Confirmation(EXPIRED, submission.form)
        submission.status = SubmissionStatus.ACCEPTED
        submission.confirmed_at = now
        submission.save(update_fields=["status", "confirmed_at"])
        if submission.lead_id is not None:
            _give_consent(submission, now)
        _emit_submitted(submission)
    return Confirmation(CONFIRMED, submission.form)


def _emit_submitted(submission: FormSubmission) -> None:
    """`form.submitted` (the lead as its record) once a submission is accepted: at once, or
    when its address is confirmed. Workflow rules trigger on it and sequences enroll from it."""
    if submission.lead_id is None:
        return
    data = {"form": submission.form_id, "submission": submission.pk, "lead": submission.lead_id}
    emit(Event("form.submitted", "lead", submission.lead_id, system_actor().pk, data))


def _give_consent(submission: FormSubmission, now: Any) -> None:
    lead = Lead.objects.select_for_update().get(pk=submission.lead_id)
    actor = system_actor()
    consent_text = submission.data.get("consent_text") or submission.form.consent_text
    if lead.is_converted:
        # Read-only now: the confirmation is consent evidence for the contact it became.
        _give_contact_consent(actor, lead.converted_contact_id, submission, consent_text, now)
        return
    data = {"consent_email": True, "consent_text": consent_text}
    data = {name: value for name, value in data.items() if getattr(lead, name) != value}
    if data:
        lead_update(actor=actor, lead=lead, data=data, version=lead.version)
    _stamp_consent_time(actor, lead, now)


def _give_contact_consent(
    actor: User, contact_id: int | None, submission: FormSubmission, text: str, now: Any
) -> None:
    from cyclecrm.contacts.models import Contact
    from cyclecrm.contacts.services import ConsentEvidence, contact_update

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or contact.consent_email:
        return
    contact_update(
        actor=actor,
        contact=contact,
        data={"consent_email": True, "consent_email_source": f"double opt-in: {submission.form}"},
        version=contact.version,
        consent_evidence=ConsentEvidence(text_shown=text, given_at=now),
    )


def form_view_count(*, form: CaptureForm) -> None:
    """Count one showing of the form's public page today (UTC), for `form_conversion_rate`.
    The counter row is updated in the database, not saved, so the KPI cache is told."""
    from cyclecrm.analytics.kpis.cache import invalidate

    increment(FormView, keys={"form": form, "day": timezone.now().date()}, field="views")
    invalidate("leads.FormView")
