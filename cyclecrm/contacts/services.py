"""Writes for accounts and contacts: normalize, check links, then the shared record services."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.normalize import (
    clean_text,
    normalize_country,
    normalize_domain,
    normalize_email,
    normalize_phone,
    normalize_website,
    normalize_word_list,
)
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.dataquality.duplicates.flagging import duplicate_check
from cyclecrm.identity import access
from cyclecrm.identity.models import User

CONSENT_CHANNELS = ("email", "phone", "sms")


@dataclass(frozen=True)
class ConsentEvidence:
    """What the person was shown when they gave consent, and when (default: now)."""

    text_shown: str = ""
    given_at: dt.datetime | None = None


ACCOUNT_FIELDS = {
    "name", "domain", "industry", "employees", "annual_revenue", "currency", "phone", "website",
    "description", "billing_street", "billing_city", "billing_region", "billing_postal_code",
    "billing_country", "shipping_street", "shipping_city", "shipping_region",
    "shipping_postal_code", "shipping_country", "parent_id", "owner_id", "team_id", "external_id",
}  # fmt: skip

CONTACT_FIELDS = {
    "first_name", "last_name", "email", "other_emails", "phone", "mobile", "title", "account_id",
    "birth_date", "gender", "street", "city", "region", "postal_code", "country", "language",
    "lifecycle_stage", "consent_email", "consent_email_source", "consent_phone",
    "consent_phone_source", "consent_sms", "consent_sms_source", "do_not_contact", "interests",
    "values", "attributes", "notes", "owner_id", "team_id", "external_id",
}  # fmt: skip


def _region() -> str:
    return settings.CYCLECRM["DEFAULT_REGION"]


def _apply(
    data: dict[str, Any], errors: FieldErrors, name: str, func: Callable[[Any], Any]
) -> None:
    if name not in data:
        return
    try:
        data[name] = func(data[name])
    except ValueError as exc:
        errors.add(name, str(exc))


def _check_known(data: dict[str, Any], allowed: set[str], errors: FieldErrors) -> None:
    for name in sorted(set(data) - allowed):
        errors.add(name, "Unknown field.")


def _text_fields(model: type, data: dict[str, Any], errors: FieldErrors) -> None:
    for field in model._meta.concrete_fields:
        if field.get_internal_type() in ("CharField", "TextField") and field.name in data:
            _apply(data, errors, field.name, lambda v: clean_text(v) if v is not None else "")
    if "external_id" in data:
        data["external_id"] = clean_text(data["external_id"]) or None


def _normalize_account(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    _check_known(data, ACCOUNT_FIELDS, errors)
    _text_fields(Account, data, errors)
    _apply(data, errors, "domain", normalize_domain)
    _apply(data, errors, "website", normalize_website)
    _apply(data, errors, "phone", lambda v: normalize_phone(v, region=_region()))
    _apply(data, errors, "billing_country", normalize_country)
    _apply(data, errors, "shipping_country", normalize_country)
    _apply(data, errors, "currency", lambda v: v.upper())
    errors.raise_if_any()
    return data


def _normalize_contact(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    _check_known(data, CONTACT_FIELDS, errors)
    _text_fields(Contact, data, errors)
    _apply(data, errors, "email", normalize_email)
    _apply(data, errors, "other_emails", lambda v: [normalize_email(e) for e in v or [] if e])
    _apply(data, errors, "phone", lambda v: normalize_phone(v, region=_region()))
    _apply(data, errors, "mobile", lambda v: normalize_phone(v, region=_region()))
    _apply(data, errors, "country", normalize_country)
    _apply(data, errors, "language", lambda v: v.lower())
    for name in ("interests", "values"):
        _apply(data, errors, name, normalize_word_list)
    if "attributes" in data and not isinstance(data["attributes"] or {}, dict):
        errors.add("attributes", "Must be an object of names to values.")
    errors.raise_if_any()
    return data


def _stamp_consent(data: dict[str, Any], current: Contact | None) -> list[str]:
    """A consent flag that changes records when and from where; the source defaults to manual.
    Returns the channels that changed (each gets a consent record, see `_record_consent`)."""
    changed = []
    for channel in CONSENT_CHANNELS:
        flag = f"consent_{channel}"
        if flag not in data:
            continue
        before = getattr(current, flag) if current else False
        if bool(data[flag]) != before:
            data[f"{flag}_at"] = timezone.now()
            data.setdefault(f"{flag}_source", "manual")
            changed.append(channel)
    return changed


def _record_consent(
    actor: User, contact: Contact, channels: list[str], evidence: ConsentEvidence | None
) -> None:
    from cyclecrm.dataquality.privacy.consent import consent_changes_record

    if channels:
        consent_changes_record(
            actor=actor,
            contact=contact,
            channels=channels,
            text_shown=evidence.text_shown if evidence else "",
            recorded_at=evidence.given_at if evidence else None,
        )


def _check_visible_link(
    actor: User, data: dict[str, Any], name: str, model: type, errors: FieldErrors
) -> None:
    pk = data.get(name)
    if pk is None:
        return
    if not access.restrict(model.objects.filter(pk=pk), actor).exists():
        errors.add(name, f"No {model.record_type} with this id.")


def account_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    check_duplicates: bool = False,
) -> Account:
    data = _normalize_account(data)
    errors = FieldErrors()
    _check_visible_link(actor, data, "parent_id", Account, errors)
    errors.raise_if_any()
    if check_duplicates:
        duplicate_check(actor=actor, record_type="account", data=data)
    return record_create(actor=actor, model=Account, data=data, tags=tags, custom=custom)


def account_update(
    *,
    actor: User,
    account: Account,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    check_duplicates: bool = False,
) -> Account:
    data = _normalize_account(data)
    errors = FieldErrors()
    _check_visible_link(actor, data, "parent_id", Account, errors)
    if data.get("parent_id") is not None and _creates_cycle(account, data["parent_id"]):
        errors.add("parent_id", "An account cannot be its own parent or ancestor.")
    errors.raise_if_any()
    if check_duplicates:
        duplicate_check(actor=actor, record_type="account", data=data, instance=account)
    return record_update(
        actor=actor, instance=account, data=data, version=version, tags=tags, custom=custom
    )


def _creates_cycle(account: Account, parent_id: int) -> bool:
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == account.pk:
            return True
        seen.add(current)
        current = Account.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return False


def account_delete(*, actor: User, account: Account) -> None:
    record_delete(actor=actor, instance=account)


def contact_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    referral_source: str = "api",
    check_duplicates: bool = False,
    consent_evidence: ConsentEvidence | None = None,
) -> Contact:
    """A `referral_code` in `data` attributes the contact to the code's contact (422 on
    `referral_code` when unknown; see loyalty.referrals). Consent given in `data` is recorded
    with `consent_evidence` (see dataquality.privacy.consent)."""
    from cyclecrm.loyalty.referrals import referral_attach, referral_code_resolve

    data = dict(data)
    code = referral_code_resolve(data.pop("referral_code", None), strict=True)
    data = _normalize_contact(data)
    errors = FieldErrors()
    _check_visible_link(actor, data, "account_id", Account, errors)
    errors.raise_if_any()
    if check_duplicates:
        duplicate_check(actor=actor, record_type="contact", data=data)
    consent_changed = _stamp_consent(data, None)
    with transaction.atomic():
        if code is not None:
            data["referral_code"] = code.code
        contact = record_create(actor=actor, model=Contact, data=data, tags=tags, custom=custom)
        _record_consent(actor, contact, consent_changed, consent_evidence)
        if code is not None:
            referral_attach(actor=actor, code=code, source=referral_source, contact=contact)
    return contact


def contact_update(
    *,
    actor: User,
    contact: Contact,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
    check_duplicates: bool = False,
    consent_evidence: ConsentEvidence | None = None,
) -> Contact:
    data = _normalize_contact(data)
    errors = FieldErrors()
    _check_visible_link(actor, data, "account_id", Account, errors)
    errors.raise_if_any()
    if check_duplicates:
        duplicate_check(actor=actor, record_type="contact", data=data, instance=contact)
    consent_changed = _stamp_consent(data, contact)
    with transaction.atomic():
        contact = record_update(
            actor=actor, instance=contact, data=data, version=version, tags=tags, custom=custom
        )
        _record_consent(actor, contact, consent_changed, consent_evidence)
    return contact


def contact_delete(*, actor: User, contact: Contact) -> None:
    record_delete(actor=actor, instance=contact)
