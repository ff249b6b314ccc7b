"""Writes for leads."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from cyclecrm.contacts.normalize import (
    clean_text,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_website,
)
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import record_create
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead, LeadStatusChange

LEAD_FIELDS = {
    "first_name", "last_name", "email", "phone", "company", "title", "industry", "employees",
    "country", "region", "website", "description", "source", "campaign_name", "utm_source",
    "utm_medium", "utm_campaign", "utm_term", "utm_content", "capture_form_id", "budget",
    "budget_currency", "authority", "need", "need_level", "timeline_date", "timeline_horizon",
    "consent_email", "consent_text", "owner_id", "team_id", "external_id",
}  # fmt: skip


def _apply(data: dict[str, Any], errors: FieldErrors, name: str, func: Any) -> None:
    if name in data and data[name] not in (None, ""):
        try:
            data[name] = func(data[name])
        except ValueError as exc:
            errors.add(name, str(exc))


def normalize_lead(data: dict[str, Any]) -> dict[str, Any]:
    """Normalize lead input like contact input; raises ValidationFailed naming the fields."""
    data = dict(data)
    errors = FieldErrors()
    for name in sorted(set(data) - LEAD_FIELDS):
        errors.add(name, "Unknown field.")
    for field in Lead._meta.concrete_fields:
        if field.get_internal_type() in ("CharField", "TextField") and field.name in data:
            data[field.name] = clean_text(data[field.name])
    region = settings.CYCLECRM["DEFAULT_REGION"]
    _apply(data, errors, "email", normalize_email)
    _apply(data, errors, "phone", lambda v: normalize_phone(v, region=region))
    _apply(data, errors, "country", normalize_country)
    _apply(data, errors, "website", normalize_website)
    _apply(data, errors, "budget", lambda v: parse_decimal(v, field="budget"))
    _apply(data, errors, "budget_currency", lambda v: v.upper())
    if "external_id" in data:
        data["external_id"] = data["external_id"] or None
    errors.raise_if_any()
    return data


def lead_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Lead:
    data = normalize_lead(data)
    if not any(data.get(name) for name in ("last_name", "first_name", "company", "email")):
        errors = FieldErrors()
        errors.add("last_name", "Give at least a name, a company or an e-mail address.")
        errors.raise_if_any()
    with transaction.atomic():
        lead = record_create(actor=actor, model=Lead, data=data, tags=tags, custom=custom)
        LeadStatusChange.objects.create(lead=lead, to_status=lead.status, actor=actor)
    return lead
