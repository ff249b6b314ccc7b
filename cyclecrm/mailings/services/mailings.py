"""Mailing definitions through the shared write path (rights, history, version check), and the
status changes around sending: schedule, start, pause, resume, cancel."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.template import TemplateSyntaxError
from django.utils import timezone

from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.core.richtext import sanitize_email_html
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.integrations.models import EmailTemplate
from cyclecrm.integrations.templating import check_template
from cyclecrm.mailings.models import Mailing, MailingStatus
from cyclecrm.mailings.services import abtest
from cyclecrm.segments.models import Segment

MAILING_FIELDS = {
    "name", "subject", "from_name", "from_email", "reply_to", "template_id", "html_body",
    "text_body", "segment_id", "campaign_id", "rate_per_minute", "scheduled_at", "owner_id",
    "team_id",
} | abtest.AB_FIELDS  # fmt: skip
MAX_RATE = 10000
NOT_EDITABLE = "Only a draft or scheduled mailing can be changed."
NO_AUDIENCE = "Pick the segment to send to."
NO_BODY = "Write an HTML body or pick a template."
WRONG_STATUS = "A {status} mailing cannot be {verb}."


def _text(data: dict[str, Any], name: str, errors: FieldErrors, *, required: bool) -> None:
    if name not in data:
        if required:
            errors.add(name, "This field is required.")
        return
    data[name] = " ".join(str(data[name] or "").split())
    if required and not data[name]:
        errors.add(name, "This field is required.")


def _check_templates(data: dict[str, Any], errors: FieldErrors) -> None:
    for name in ("subject", "html_body", "text_body"):
        if data.get(name):
            try:
                check_template(str(data[name]))
            except TemplateSyntaxError as exc:
                errors.add(name, f"Template error: {exc}")


def _check_links(actor: User, data: dict[str, Any], errors: FieldErrors) -> None:
    segment_id = data.get("segment_id")
    if (
        segment_id is not None
        and not access.restrict(Segment.objects.filter(pk=segment_id), actor).exists()
    ):
        errors.add("segment_id", "No segment with this id.")
    campaign_id = data.get("campaign_id")
    if campaign_id is not None and not _may_feed(actor, campaign_id):
        errors.add("campaign_id", "No campaign you may edit with this id.")
    template_id = data.get("template_id")
    if (
        template_id is not None
        and not access.restrict(
            EmailTemplate.objects.filter(pk=template_id, is_active=True), actor
        ).exists()
    ):
        errors.add("template_id", "No active template with this id.")


def _may_feed(actor: User, campaign_id: Any) -> bool:
    """Sending adds members and touches to the campaign, so linking needs its edit right."""
    from cyclecrm.campaigns.models import Campaign

    campaigns = access.restrict(Campaign.objects.filter(pk=campaign_id), actor, Action.EDIT)
    return campaigns.exists()


def _normalize(
    actor: User, data: dict[str, Any], current: Mailing | None
) -> tuple[dict[str, Any], list[dict[str, str]] | None]:
    """The cleaned fields and, when given, the cleaned A/B variants (422 naming each field)."""
    errors = FieldErrors()
    data = dict(data)
    variants = None
    if "variants" in data:
        variants = abtest.clean_variants(data.pop("variants"), errors)
    for name in sorted(set(data) - MAILING_FIELDS):
        errors.add(name, "Unknown field.")
    if current is not None and not current.is_editable:
        errors.add("status", NOT_EDITABLE)
    _text(data, "name", errors, required=current is None)
    _text(data, "subject", errors, required=current is None)
    for name in ("from_name", "from_email", "reply_to"):
        if name in data:
            data[name] = str(data[name] or "").strip()
    if "html_body" in data:
        data["html_body"] = sanitize_email_html(str(data["html_body"] or ""))
    if "text_body" in data:
        data["text_body"] = str(data["text_body"] or "").strip()
    rate = data.get("rate_per_minute")
    if rate is not None and not 1 <= int(rate) <= MAX_RATE:
        errors.add("rate_per_minute", f"Between 1 and {MAX_RATE} messages a minute.")
    _check_templates(data, errors)
    _check_links(actor, data, errors)
    abtest.check_settings(data, errors)
    errors.raise_if_any()
    return data, variants


def mailing_create(*, actor: User, data: dict[str, Any]) -> Mailing:
    """Create a draft mailing, with its A/B variants when given; merge-field templates are
    compiled (422 naming the field)."""
    data, variants = _normalize(actor, data, None)
    with transaction.atomic():
        mailing = record_create(actor=actor, model=Mailing, data=data)
        if variants is not None:
            abtest.replace_variants(mailing, variants)
    return mailing


def mailing_update(
    *, actor: User, mailing: Mailing, data: dict[str, Any], version: int | None = None
) -> Mailing:
    """Change a draft or scheduled mailing; `variants`, when given, replace the A/B variants
    (an empty list ends the test)."""
    data, variants = _normalize(actor, data, mailing)
    with transaction.atomic():
        mailing = record_update(
            actor=actor,
            instance=mailing,
            data=data,
            version=mailing.version if version is None else version,
        )
        if variants is not None:
            abtest.replace_variants(mailing, variants)
    return mailing


def mailing_delete(*, actor: User, mailing: Mailing) -> None:
    if mailing.status not in (MailingStatus.DRAFT, MailingStatus.CANCELLED):
        raise ValidationFailed(fields={"status": ["Only a draft or cancelled mailing is deleted."]})
    record_delete(actor=actor, instance=mailing)


def check_ready(mailing: Mailing) -> None:
    """What a mailing needs before it is sent or scheduled."""
    errors = FieldErrors()
    if mailing.segment_id is None:
        errors.add("segment_id", NO_AUDIENCE)
    if not mailing.html_body.strip() and mailing.template_id is None:
        errors.add("html_body", NO_BODY)
    errors.raise_if_any()


def require_status(mailing: Mailing, allowed: tuple[str, ...], verb: str) -> None:
    if mailing.status not in allowed:
        message = WRONG_STATUS.format(status=mailing.get_status_display().lower(), verb=verb)
        raise ValidationFailed(fields={"status": [message]})


def set_status(actor: User, mailing: Mailing, status: str, **extra: Any) -> Mailing:
    """A status change through the shared write path (history row, version bump)."""
    return record_update(
        actor=actor,
        instance=mailing,
        data={"status": status, **extra},
        version=mailing.version,
    )


def mailing_schedule(*, actor: User, mailing: Mailing, at: dt.datetime) -> Mailing:
    require_status(mailing, (MailingStatus.DRAFT, MailingStatus.SCHEDULED), "scheduled")
    check_ready(mailing)
    if at <= timezone.now():
        raise ValidationFailed(fields={"scheduled_at": ["Pick a time in the future."]})
    return set_status(actor, mailing, MailingStatus.SCHEDULED, scheduled_at=at)


def mailing_pause(*, actor: User, mailing: Mailing) -> Mailing:
    """Stop after the message in flight; the rest stay pending until resumed."""
    require_status(mailing, (MailingStatus.SENDING,), "paused")
    return set_status(actor, mailing, MailingStatus.PAUSED)


def mailing_resume(*, actor: User, mailing: Mailing) -> Mailing:
    from cyclecrm.mailings.services.sending import enqueue_send

    require_status(mailing, (MailingStatus.PAUSED,), "resumed")
    with transaction.atomic():
        mailing = set_status(actor, mailing, MailingStatus.SENDING)
        enqueue_send(mailing.pk)
    return mailing


def mailing_cancel(*, actor: User, mailing: Mailing) -> Mailing:
    """Cancel before or during sending; recipients not sent yet are never sent."""
    allowed = (MailingStatus.DRAFT, MailingStatus.SCHEDULED, MailingStatus.PAUSED)
    require_status(mailing, (*allowed, MailingStatus.SENDING), "cancelled")
    return set_status(actor, mailing, MailingStatus.CANCELLED)


def clean_test_address(value: str) -> str:
    """A test message's address, normalized; 422 on `to` when it is not one."""
    from cyclecrm.contacts.normalize import normalize_email

    try:
        address = normalize_email(value)
    except ValueError as exc:
        raise ValidationFailed(fields={"to": ["Not a valid e-mail address."]}) from exc
    if not address:
        raise ValidationFailed(fields={"to": ["Not a valid e-mail address."]})
    return address
