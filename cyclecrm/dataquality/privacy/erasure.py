"""Erasure: the contact and their personal data across related records are anonymized in
place (ADR 24). Counts, amounts, scores, stages and the dates of events stay, so KPIs do not
change; names, addresses, phones, e-mail, birth date, notes, custom fields and free text go.

1. Collect the contact's personal values (the strings to hunt for).
2. Blank the contact's personal fields; blank the listed fields of related rows
   (`coverage.ERASE_FIELDS`) and of leads with the same e-mail and their form submissions.
3. Scrub every text and JSON column of every related row (and one level of their children)
   of any remaining occurrence of a personal value.
4. Scrub the same values from the earlier history entries of all those records.
5. Record the erasure in the history (field names only) and suppress the e-mail's hash.
All in one transaction."""

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.db import models

from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import HistoryAction, HistoryEntry
from cyclecrm.dataquality.models import SuppressedAddress
from cyclecrm.dataquality.privacy.coverage import ERASE_FIELDS
from cyclecrm.dataquality.privacy.subject_access import contact_leads, related_querysets

ERASED = "[erased]"
MIN_SECRET_LENGTH = 3

CONTACT_BLANK: dict[str, Any] = {
    "first_name": "",
    "email": "",
    "other_emails": [],
    "phone": "",
    "mobile": "",
    "title": "",
    "birth_date": None,
    "gender": "",
    "street": "",
    "city": "",
    "postal_code": "",
    "language": "",
    "notes": "",
    "interests": [],
    "values": [],
    "attributes": {},
    "custom": {},
    "external_id": None,
    "referral_code": "",
    "consent_email": False,
    "consent_phone": False,
    "consent_sms": False,
    "consent_email_source": "erasure",
    "consent_phone_source": "erasure",
    "consent_sms_source": "erasure",
    "do_not_contact": True,
}
LEAD_BLANK: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "title": "",
    "description": "",
    "need": "",
    "custom": {},
    "external_id": None,
}
TEXT_TYPES = ("CharField", "TextField", "JSONField")


def personal_values(contact: Contact) -> list[str]:
    """The strings that identify the person, longest first (so a full name goes before its
    parts)."""
    values = [
        contact.full_name,
        contact.first_name,
        contact.last_name,
        contact.email,
        *(contact.other_emails or []),
        contact.phone,
        contact.mobile,
        contact.street,
        contact.notes,
        contact.birth_date.isoformat() if contact.birth_date else "",
        *[str(v) for v in (contact.custom or {}).values() if isinstance(v, str)],
    ]
    if contact.email and "@" in contact.email:
        values.append(contact.email.split("@")[0])
    unique = {v.strip() for v in values if v and len(v.strip()) >= MIN_SECRET_LENGTH}
    return sorted(unique, key=len, reverse=True)


def _pattern(secrets: list[str]) -> re.Pattern | None:
    if not secrets:
        return None
    return re.compile("|".join(re.escape(s) for s in secrets), re.IGNORECASE)


def scrub(value: Any, pattern: re.Pattern | None) -> Any:
    """`value` with every personal value replaced, walking lists and dicts."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {scrub(k, pattern): scrub(v, pattern) for k, v in value.items()}
    return value


def _scrub_row(row: models.Model, pattern: re.Pattern | None, blank: dict[str, Any]) -> None:
    changed = []
    for field in row._meta.concrete_fields:
        if field.name in blank:
            new = blank[field.name]
        elif field.get_internal_type() in TEXT_TYPES and not field.choices:
            new = scrub(getattr(row, field.attname), pattern)
        else:
            continue
        if new != getattr(row, field.attname):
            setattr(row, field.attname, _fit(field, new))
            changed.append(field.attname)
    if changed:
        type(row)._default_manager.filter(pk=row.pk).update(
            **{name: getattr(row, name) for name in changed}
        )


def _fit(field: models.Field, value: Any) -> Any:
    """A replacement never breaks the column: cut to max_length, NULL only where allowed."""
    if value is None and not field.null:
        return ""
    if isinstance(value, str) and getattr(field, "max_length", None):
        return value[: field.max_length]
    return value


def _scrub_history(
    targets: Iterable[tuple[str, list[int]]], pattern: re.Pattern | None, blank: Iterable[str]
) -> None:
    """Earlier history entries of the erased records: personal values become `[erased]`."""
    blank = set(blank)
    for record_type, ids in targets:
        entries = HistoryEntry.objects.filter(record_type=record_type, object_id__in=ids)
        for entry in entries.iterator():
            changes = {
                name: [ERASED if v not in (None, "", [], {}) else v for v in pair]
                if name in blank or name.startswith("custom.")
                else scrub(pair, pattern)
                for name, pair in entry.changes.items()
            }
            repr_ = scrub(entry.object_repr, pattern)
            if changes != entry.changes or repr_ != entry.object_repr:
                HistoryEntry.objects.filter(pk=entry.pk).update(changes=changes, object_repr=repr_)


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def erase_contact_data(*, actor: Any, contact: Contact) -> dict[str, int]:
    """Anonymize; the caller holds the transaction and has checked the right. Returns how many
    rows of each kind were touched."""
    from cyclecrm.core.history import history_record
    from cyclecrm.leads.models import FormSubmission

    pattern = _pattern(personal_values(contact))
    emails = [e for e in [contact.email, *(contact.other_emails or [])] if e]
    counts: dict[str, int] = {}
    history_targets: list[tuple[str, list[int]]] = [("contact", [contact.pk])]
    for label, rows in related_querysets(contact):
        blank = ERASE_FIELDS.get(label, {})
        ids = []
        for row in rows.iterator():
            _scrub_row(row, pattern, blank)
            _scrub_children(row, pattern)
            ids.append(row.pk)
        counts[label] = counts.get(label, 0) + len(ids)
        if getattr(rows.model, "record_type", "") and ids:
            history_targets.append((rows.model.record_type, ids))
    lead_ids = []
    for lead in contact_leads(contact).iterator():
        _scrub_row(lead, pattern, LEAD_BLANK)
        lead_ids.append(lead.pk)
    for submission in FormSubmission.objects.filter(lead_id__in=lead_ids).iterator():
        _scrub_row(submission, pattern, {"data": {}, "ip_hash": ""})
    counts["leads.Lead"] = len(lead_ids)
    history_targets.append(("lead", lead_ids))
    _scrub_history(history_targets, pattern, [*CONTACT_BLANK, *LEAD_BLANK, "last_name"])
    _scrub_row(contact, pattern, {**CONTACT_BLANK, "last_name": f"Erased contact {contact.pk}"})
    contact.tags.clear()
    for email in emails:
        SuppressedAddress.objects.get_or_create(email_hash=email_hash(email))
    history_record(
        actor=actor,
        instance=contact,
        action=HistoryAction.UPDATE,
        changes={"erasure": [None, sorted(counts)]},
    )
    return counts


def _scrub_children(row: models.Model, pattern: re.Pattern | None) -> None:
    for rel in row._meta.related_objects:
        if rel.many_to_many or rel.related_model is Contact:
            continue
        for child in rel.related_model._default_manager.filter(**{rel.field.name: row}):
            _scrub_row(child, pattern, {})
