"""Writes for leads: create (with rule-based assignment), update, delete, status changes.

The status moves only along `TRANSITIONS`, through `lead_change_status`, never through a plain
update. A converted lead is read-only: its account, contact and opportunity carry on its story.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.contacts.normalize import (
    clean_text,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_website,
)
from cyclecrm.core.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.dataquality.duplicates.flagging import duplicate_check
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.leads.models import Lead, LeadStatus, LeadStatusChange
from cyclecrm.leads.services.assignment import assignment_apply
from cyclecrm.leads.services.scoring import lead_rescore_one

LEAD_FIELDS = {
    "first_name", "last_name", "email", "phone", "company", "title", "industry", "employees",
    "country", "region", "website", "description", "source", "campaign_name", "utm_source",
    "utm_medium", "utm_campaign", "utm_term", "utm_content", "capture_form_id", "budget",
    "budget_currency", "authority", "need", "need_level", "timeline_date", "timeline_horizon",
    "consent_email", "consent_text", "owner_id", "team_id", "external_id",
}  # fmt: skip

S = LeadStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.OPEN: (S.CONTACTED, S.QUALIFIED, S.UNQUALIFIED),
    S.CONTACTED: (S.QUALIFIED, S.UNQUALIFIED),
    S.QUALIFIED: (S.CONTACTED, S.UNQUALIFIED),
    S.UNQUALIFIED: (S.OPEN,),
}
NAME_REQUIRED = "Give at least a name, a company or an e-mail address."
REASON_REQUIRED = "Say why the lead is unqualified."
REASON_MAX = 200


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


def _stamp_consent(data: dict[str, Any], lead: Lead | None) -> None:
    """Giving or withdrawing e-mail consent records when it happened."""
    if "consent_email" in data and bool(data["consent_email"]) != bool(
        lead.consent_email if lead else False
    ):
        data["consent_email_at"] = timezone.now() if data["consent_email"] else None


def _require_named(lead_or_data: dict[str, Any]) -> None:
    if not any(lead_or_data.get(name) for name in ("last_name", "first_name", "company", "email")):
        raise ValidationFailed(fields={"last_name": [NAME_REQUIRED]})


def lead_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    assign: bool = True,
    referral_source: str = "api",
    check_duplicates: bool = False,
) -> Lead:
    """Create a lead. Without an owner in `data` and with `assign`, the first matching
    assignment rule picks the owner (recorded in history); the score is computed and stored.
    A `referral_code` in `data` attributes the lead to the code's contact (see
    loyalty.referrals); an unknown code is a 422, except from a public form (`form`)."""
    from cyclecrm.loyalty.referrals import referral_attach, referral_code_resolve

    data = dict(data)
    code = referral_code_resolve(data.pop("referral_code", None), strict=referral_source != "form")
    data = normalize_lead(data)
    _require_named(data)
    if check_duplicates:
        duplicate_check(actor=actor, record_type="lead", data=data)
    _stamp_consent(data, None)
    by_rule = assign and data.get("owner_id") is None
    if code is not None:
        data["referral_code"] = code.code
    with transaction.atomic():
        lead = record_create(actor=actor, model=Lead, data=data, tags=tags, custom=custom)
        if code is not None:
            referral_attach(actor=actor, code=code, source=referral_source, lead=lead)
        LeadStatusChange.objects.create(lead=lead, to_status=lead.status, actor=actor)
        if by_rule:
            assignment_apply(actor=actor, lead=lead)
        lead_rescore_one(actor=actor, lead=lead)
    return lead


def require_right(actor: User, action: str, lead: Lead) -> None:
    """The record services' rule, checked before the conversion check so that a lead the actor
    may not see stays a 404 rather than revealing it was converted."""
    if access.can(actor, action, lead):
        return
    if access.can(actor, Action.READ, lead):
        raise Forbidden(f"You may not {action} this lead.")
    raise NotFound("No lead with this id.")


def converted_conflict(lead: Lead) -> Conflict:
    """409 `lead_converted`, naming the records the lead became (`converted_to`: `type:id`)."""
    became = [
        (noun, pk)
        for noun, pk in (
            ("account", lead.converted_account_id),
            ("contact", lead.converted_contact_id),
            ("opportunity", lead.converted_opportunity_id),
        )
        if pk
    ]
    text = ", ".join(f"{noun} #{pk}" for noun, pk in became) or "other records"
    return Conflict(
        f"This lead was converted to {text} and is read-only; change those instead.",
        code="lead_converted",
        fields={"converted_to": [f"{noun}:{pk}" for noun, pk in became]},
    )


def _refuse_converted(lead: Lead) -> None:
    if lead.is_converted:
        raise converted_conflict(lead)


def lead_update(
    *,
    actor: User,
    lead: Lead,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    check_duplicates: bool = False,
) -> Lead:
    require_right(actor, Action.EDIT, lead)
    _refuse_converted(lead)
    data = normalize_lead(data)
    if check_duplicates:
        duplicate_check(actor=actor, record_type="lead", data=data, instance=lead)
    merged = {name: getattr(lead, name) for name in ("last_name", "first_name", "company")}
    merged["email"] = lead.email
    merged.update({k: v for k, v in data.items() if k in merged})
    _require_named(merged)
    _stamp_consent(data, lead)
    with transaction.atomic():
        record_update(
            actor=actor, instance=lead, data=data, version=version, tags=tags, custom=custom
        )
        lead_rescore_one(actor=actor, lead=lead)
    return lead


def lead_delete(*, actor: User, lead: Lead) -> None:
    require_right(actor, Action.DELETE, lead)
    _refuse_converted(lead)
    record_delete(actor=actor, instance=lead)


def allowed_statuses(lead: Lead) -> tuple[str, ...]:
    return TRANSITIONS.get(lead.status, ())


def lead_change_status(
    *,
    actor: User,
    lead: Lead,
    status: str,
    reason: str | None = None,
    version: int | None,
) -> Lead:
    """Move the lead along one allowed transition; `unqualified` needs a reason. Writes the
    status change row and the history entry in one transaction."""
    require_right(actor, Action.EDIT, lead)
    _refuse_converted(lead)
    reason = clean_text(reason)
    errors = FieldErrors()
    allowed = allowed_statuses(lead)
    if status not in allowed:
        labels = ", ".join(allowed) or "none"
        errors.add("status", f"A {lead.status} lead can move to: {labels}.")
    if status == S.UNQUALIFIED and not reason:
        errors.add("reason", REASON_REQUIRED)
    if len(reason) > REASON_MAX:
        errors.add("reason", f"At most {REASON_MAX} characters.")
    errors.raise_if_any()
    before = lead.status
    now = timezone.now()
    data = {
        "status": status,
        "status_changed_at": now,
        "unqualified_reason": reason if status == S.UNQUALIFIED else "",
    }
    with transaction.atomic():
        record_update(actor=actor, instance=lead, data=data, version=version)
        LeadStatusChange.objects.create(
            lead=lead, from_status=before, to_status=status, reason=reason, actor=actor, at=now
        )
        lead_rescore_one(actor=actor, lead=lead)
        emit(
            Event("lead.status_changed", "lead", lead.pk, actor.pk, {"from": before, "to": status})
        )
    return lead
