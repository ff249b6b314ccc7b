"""Subject access: everything held about one contact, as one JSON document.

Related rows are found generically through `Contact._meta.related_objects` (and one level of
their own children, so case messages, ledger entries and order lines come along); leads are
matched by the contact's e-mail addresses and by conversion; the audit history of each record
is included."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import HistoryEntry
from cyclecrm.dataquality.privacy.coverage import SECRET_FIELDS

EXPORT_FORMAT = "cyclecrm.subject-access/1"


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | bytes | memoryview):
        return str(value) if isinstance(value, uuid.UUID) else None
    return value


def row_dict(instance: models.Model) -> dict[str, Any]:
    """All concrete columns of a row (foreign keys as ids), secrets left out, tags added."""
    row = {
        field.attname: jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in SECRET_FIELDS
    }
    if any(field.name == "tags" for field in instance._meta.many_to_many):
        row["tags"] = sorted(tag.name for tag in instance.tags.all())
    return row


def related_querysets(contact: Contact) -> list[tuple[str, models.QuerySet]]:
    """(model label, rows) for every relation from another model to Contact."""
    found = []
    for rel in Contact._meta.related_objects:
        model = rel.related_model
        rows = model._default_manager.filter(**{rel.field.name: contact})
        found.append((model._meta.label, rows))
    return found


def _children(instance: models.Model) -> dict[str, list[dict[str, Any]]]:
    """One level of rows pointing at `instance` (case messages, ledger entries, order lines)."""
    children: dict[str, list[dict[str, Any]]] = {}
    for rel in instance._meta.related_objects:
        if rel.many_to_many or rel.related_model is Contact:
            continue
        rows = rel.related_model._default_manager.filter(**{rel.field.name: instance})
        dumped = [row_dict(row) for row in rows.order_by("pk")]
        if dumped:
            children[rel.related_model._meta.label] = dumped
    return children


def contact_leads(contact: Contact) -> models.QuerySet:
    from cyclecrm.leads.models import Lead

    emails = [e for e in [contact.email, *(contact.other_emails or [])] if e]
    match = Q(converted_contact=contact)
    if emails:
        match |= Q(email__in=emails)
    return Lead.objects.filter(match)


def _history(record_type: str, ids: list[int]) -> list[dict[str, Any]]:
    entries = HistoryEntry.objects.filter(record_type=record_type, object_id__in=ids)
    return [
        {
            "record_type": e.record_type,
            "object_id": e.object_id,
            "action": e.action,
            "at": e.at.isoformat(),
            "actor": e.actor_name,
            "changes": e.changes,
        }
        for e in entries.order_by("at", "id")
    ]


def subject_access_document(contact: Contact) -> dict[str, Any]:
    """The whole export; the caller has checked the export right on the contact."""
    from cyclecrm.leads.models import FormSubmission

    related: dict[str, list[dict[str, Any]]] = {}
    history = _history("contact", [contact.pk])
    for label, rows in related_querysets(contact):
        dumped = []
        for row in rows.order_by("pk"):
            item = row_dict(row)
            item["children"] = _children(row)
            dumped.append(item)
        if dumped:
            related.setdefault(label, []).extend(dumped)
            rtype = getattr(rows.model, "record_type", "")
            if rtype:
                history += _history(rtype, [item["id"] for item in dumped])
    leads = list(contact_leads(contact).order_by("pk"))
    lead_ids = [lead.pk for lead in leads]
    submissions = FormSubmission.objects.filter(lead_id__in=lead_ids).order_by("pk")
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "contact": row_dict(contact),
        "account": row_dict(contact.account) if contact.account_id else None,
        "leads": [row_dict(lead) for lead in leads],
        "form_submissions": [row_dict(s) for s in submissions],
        "related": related,
        "history": history + _history("lead", lead_ids),
    }


def subject_access_types() -> list[str]:
    """The record types whose rows a subject access document can hold: the contact, its
    account and leads, every registered model pointing at Contact, and their children."""
    from cyclecrm.core.registry import record_types

    registered = {rtype.model: key for key, rtype in record_types().items()}
    models_in = {Contact}
    for rel in Contact._meta.related_objects:
        models_in.add(rel.related_model)
        models_in.update(child.related_model for child in rel.related_model._meta.related_objects)
    keys = {registered[model] for model in models_in if model in registered}
    return sorted(keys | {"account", "contact", "lead"})
