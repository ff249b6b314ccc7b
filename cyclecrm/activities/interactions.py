"""Writes for interactions: log, update, delete.

Rules kept here:
- Links are named `contact`, `account`, `lead`, `opportunity`, `case` (ids), as in the API; each
  must be a record the actor may see. At least one is needed: an interaction shows on timelines.
- Without a `contact`, one is matched from `contact_email` (primary address first, then the other
  addresses) or `contact_phone` (normalized to E.164 in the default region; phone, then mobile)
  among the contacts the actor may see. No match, or several at the best tier, is a 422 naming
  the field: the caller then sends `contact`.
- The account is filled from the contact when none is given.
- `body` is HTML sanitized with nh3 (no scripts, styles, event handlers, images or unsafe
  links); plain text (no tags) keeps its line breaks as paragraphs.
- Call fields (`duration_seconds`, `outcome`) belong to calls and meeting fields (`starts_at`,
  `ends_at`, `location`, `attendees`, `attendee_emails`) to meetings; a meeting's `occurred_at`
  defaults to its start.
- The engagement fields of every contact the write touches are refreshed in the same
  transaction (`activities.engagement`).
"""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.html import linebreaks

from cyclecrm.activities.engagement import engagement_refresh
from cyclecrm.activities.models import (
    CallOutcome,
    Channel,
    DeliveryStatus,
    Direction,
    Interaction,
)
from cyclecrm.activities.services import _aware, _read_time
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.normalize import clean_text, normalize_email, normalize_phone
from cyclecrm.core.db import json_list_contains
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.core.richtext import sanitize_message_html
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Opportunity

LINKS = ("contact", "account", "lead", "opportunity", "case")
CALL_FIELDS = ("duration_seconds", "outcome")
MEETING_FIELDS = ("starts_at", "ends_at", "location", "attendees", "attendee_emails")
EMAIL_FIELDS = (
    "message_id", "in_reply_to", "references", "thread_key", "from_address", "to_addresses",
    "cc_addresses", "bcc_addresses", "delivery_status", "delivery_error",
)  # fmt: skip
ADDRESS_LISTS = ("to_addresses", "cc_addresses", "bcc_addresses", "attendee_emails")
INTERACTION_FIELDS = {
    "channel", "direction", "subject", "body", "occurred_at", "owner_id", "team_id",
    "external_id", *LINKS, *CALL_FIELDS, *MEETING_FIELDS, *EMAIL_FIELDS,
}  # fmt: skip
MATCH_FIELDS = ("contact_email", "contact_phone")
MAX_DURATION_SECONDS = 7 * 24 * 3600
MAX_ADDRESSES = 200
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!][^>]*>")

NEEDS_LINK = (
    "Link the interaction to a contact, account, lead, opportunity or case, or send "
    "contact_email / contact_phone to match a contact."
)
NO_EMAIL_MATCH = "No contact you may see has this e-mail address."
NO_PHONE_MATCH = "No contact you may see has this phone number."
SEVERAL_MATCH = "Several contacts match; send `contact` with the id of the right one."
CHANNEL_REQUIRED = "Choose a channel."
ENDS_BEFORE_START = "The meeting cannot end before it starts."
ONLY_CALLS = "Only calls have this field."
ONLY_MEETINGS = "Only meetings have this field."


def _linked_models() -> dict[str, type[Model]]:
    from cyclecrm.support.models import Case

    return {
        "contact": Contact,
        "account": Account,
        "lead": Lead,
        "opportunity": Opportunity,
        "case": Case,
    }


# -- normalization --------------------------------------------------------------------------------


def sanitize_body(value: Any) -> str:
    """Safe HTML from what a user, an e-mail or an integration sent (see the module doc)."""
    text = str(value or "").strip()
    if not text:
        return ""
    if not _LOOKS_LIKE_HTML.search(text):
        return linebreaks(text, autoescape=True)
    return sanitize_message_html(text)


def _choice(data: dict[str, Any], name: str, allowed: list[str], errors: FieldErrors) -> None:
    if name in data and data[name] not in (None, "") and data[name] not in allowed:
        errors.add(name, f"Choose one of: {', '.join(allowed)}.")


def _time(data: dict[str, Any], name: str, errors: FieldErrors) -> None:
    if name in data:
        try:
            data[name] = _aware(_read_time(data[name]))
        except ValueError:
            errors.add(name, "Enter a date and time (ISO 8601).")


def _addresses(data: dict[str, Any], name: str, errors: FieldErrors) -> None:
    if name not in data:
        return
    raw = data[name] or []
    if isinstance(raw, str):
        raw = raw.replace(";", ",").split(",")
    cleaned = []
    for item in raw:
        try:
            address = normalize_email(str(item))
        except ValueError:
            errors.add(name, f"Not a valid e-mail address: {clean_text(str(item))[:100]}")
            continue
        if address:
            cleaned.append(address)
    if len(cleaned) > MAX_ADDRESSES:
        errors.add(name, f"At most {MAX_ADDRESSES} addresses.")
    data[name] = list(dict.fromkeys(cleaned))


def _normalize(data: dict[str, Any], creating: bool, errors: FieldErrors) -> dict[str, Any]:
    data = dict(data)
    for name in sorted(set(data) - INTERACTION_FIELDS - set(MATCH_FIELDS)):
        errors.add(name, "Unknown field.")
    if creating and not data.get("channel"):
        errors.add("channel", CHANNEL_REQUIRED)
    _choice(data, "channel", Channel.values, errors)
    _choice(data, "direction", Direction.values, errors)
    _choice(data, "outcome", CallOutcome.values, errors)
    _choice(data, "delivery_status", DeliveryStatus.values, errors)
    for name in ("subject", "location", "from_address", "message_id", "in_reply_to", "thread_key"):
        if name in data:
            data[name] = clean_text(data[name])
    for name in ("direction", "outcome", "delivery_status"):
        if name in data and data[name] is None:
            data[name] = Direction.OUTBOUND if name == "direction" else ""
    for name in ("references", "delivery_error"):
        if name in data:
            data[name] = str(data[name] or "").strip()
    if "body" in data:
        data["body"] = sanitize_body(data["body"])
    if "external_id" in data:
        data["external_id"] = clean_text(data["external_id"]) or None
    for name in ("occurred_at", "starts_at", "ends_at"):
        _time(data, name, errors)
    if "occurred_at" in data and data["occurred_at"] is None:
        errors.add("occurred_at", "Say when it happened.")
    if data.get("from_address"):
        try:
            data["from_address"] = normalize_email(data["from_address"])
        except ValueError as exc:
            errors.add("from_address", str(exc))
    for name in ADDRESS_LISTS:
        _addresses(data, name, errors)
    duration = data.get("duration_seconds")
    if duration is not None and (
        not isinstance(duration, int) or not 0 <= duration <= MAX_DURATION_SECONDS
    ):
        errors.add("duration_seconds", f"Between 0 and {MAX_DURATION_SECONDS} seconds.")
    return data


def _check_channel_fields(
    data: dict[str, Any], current: Interaction | None, errors: FieldErrors
) -> None:
    channel = data.get("channel") or (current.channel if current else None)
    if channel != Channel.CALL:
        for name in CALL_FIELDS:
            if data.get(name) not in (None, ""):
                errors.add(name, ONLY_CALLS)
    if channel != Channel.MEETING:
        for name in MEETING_FIELDS:
            if data.get(name) not in (None, "", []):
                errors.add(name, ONLY_MEETINGS)
        return
    starts = data["starts_at"] if "starts_at" in data else getattr(current, "starts_at", None)
    ends = data["ends_at"] if "ends_at" in data else getattr(current, "ends_at", None)
    if starts is None and current is None:
        data["starts_at"] = starts = data.get("occurred_at") or timezone.now()
    if starts is not None and ends is not None and ends < starts:
        errors.add("ends_at", ENDS_BEFORE_START)
    if current is None and "occurred_at" not in data:
        data["occurred_at"] = starts


# -- links and matching -------------------------------------------------------------------------


def _visible(actor: User, model: type[Model], pk: Any) -> Model | None:
    if pk is None or not str(pk).isdigit():
        return None
    return access.restrict(model.objects.filter(pk=pk), actor).first()


def _single(queryset: Any, field: str, errors: FieldErrors) -> Contact | None:
    found = list(queryset.order_by("id")[:2])
    if len(found) > 1:
        errors.add(field, SEVERAL_MATCH)
        return None
    return found[0] if found else None


def match_contact_by_email(actor: User, email: str, errors: FieldErrors) -> Contact | None:
    """The one visible contact with this address: the primary address wins over others."""
    try:
        address = normalize_email(email)
    except ValueError as exc:
        errors.add("contact_email", str(exc))
        return None
    visible = access.restrict(Contact.objects.all(), actor)
    for condition in (Q(email=address), json_list_contains("other_emails", address)):
        contact = _single(visible.filter(condition), "contact_email", errors)
        if contact or errors:
            return contact
    errors.add("contact_email", NO_EMAIL_MATCH)
    return None


def match_contact_by_phone(actor: User, phone: str, errors: FieldErrors) -> Contact | None:
    """The one visible contact with this number (E.164 after normalizing): phone, then mobile."""
    try:
        number = normalize_phone(phone, region=settings.CYCLECRM["DEFAULT_REGION"])
    except ValueError as exc:
        errors.add("contact_phone", str(exc))
        return None
    if not number:
        errors.add("contact_phone", NO_PHONE_MATCH)
        return None
    visible = access.restrict(Contact.objects.all(), actor)
    for condition in (Q(phone=number), Q(mobile=number)):
        contact = _single(visible.filter(condition), "contact_phone", errors)
        if contact or errors:
            return contact
    errors.add("contact_phone", NO_PHONE_MATCH)
    return None


def _resolve_links(
    actor: User, data: dict[str, Any], current: Interaction | None, errors: FieldErrors
) -> dict[str, Any]:
    """Turn the link ids (and the match fields) into model fields: `contact` -> `contact_id`."""
    email, phone = data.pop("contact_email", None), data.pop("contact_phone", None)
    contact_given = data.get("contact") is not None
    models = _linked_models()
    found: dict[str, Model | None] = {}
    for name in LINKS:
        if name not in data:
            continue
        pk = data.pop(name)
        record = _visible(actor, models[name], pk) if pk is not None else None
        if pk is not None and record is None:
            errors.add(name, f"No {name} you may see with this id.")
        found[name] = record
        data[f"{name}_id"] = record.pk if record else None
    if not contact_given and (email or phone):
        if email:
            matched = match_contact_by_email(actor, email, errors)
        else:
            matched = match_contact_by_phone(actor, phone, errors)
        if matched is not None:
            found["contact"] = matched
            data["contact_id"] = matched.pk
    contact = found.get("contact")
    if contact is not None and contact.account_id and not _has(data, current, "account_id"):
        data["account_id"] = contact.account_id
    if "attendees" in data:
        ids = [pk for pk in data["attendees"] or [] if pk is not None]
        attendees = list(access.restrict(Contact.objects.filter(pk__in=ids), actor))
        if len(attendees) != len(set(ids)):
            errors.add("attendees", "No contact you may see with one of these ids.")
        data["attendees"] = attendees
    if not errors and not any(_has(data, current, f"{name}_id") for name in LINKS):
        errors.add("contact", NEEDS_LINK)
    return data


def _has(data: dict[str, Any], current: Interaction | None, attname: str) -> bool:
    if attname in data:
        return data[attname] is not None
    return current is not None and getattr(current, attname) is not None


def _prepare(actor: User, data: dict[str, Any], current: Interaction | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = _normalize(data, current is None, errors)
    data = _resolve_links(actor, data, current, errors)
    _check_channel_fields(data, current, errors)
    errors.raise_if_any()
    return data


# -- services ----------------------------------------------------------------------------------


def interaction_log(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Interaction:
    """Record an interaction (a call made, a chat received, a meeting planned...). `owner_id`
    defaults to the actor."""
    data = _prepare(actor, data, None)
    attendees = data.pop("attendees", None)
    data.setdefault("occurred_at", timezone.now())
    with transaction.atomic():
        interaction = record_create(
            actor=actor, model=Interaction, data=data, tags=tags, custom=custom
        )
        if attendees:
            interaction.attendees.set(attendees)
        engagement_refresh([interaction.contact_id])
    return interaction


def interaction_update(
    *,
    actor: User,
    interaction: Interaction,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Interaction:
    data = _prepare(actor, data, interaction)
    attendees = data.pop("attendees", None)
    old_contact = interaction.contact_id
    with transaction.atomic():
        interaction = record_update(
            actor=actor,
            instance=interaction,
            data=data,
            version=version,
            tags=tags,
            custom=custom,
        )
        if attendees is not None:
            interaction.attendees.set(attendees)
        engagement_refresh([old_contact, interaction.contact_id])
    return interaction


def interaction_delete(*, actor: User, interaction: Interaction) -> None:
    contact_id = interaction.contact_id
    with transaction.atomic():
        record_delete(actor=actor, instance=interaction)
        engagement_refresh([contact_id])


def meeting_default_end(starts_at: dt.datetime) -> dt.datetime:
    """Where a meeting without an end ends (for calendars): half an hour later."""
    return starts_at + dt.timedelta(minutes=30)
