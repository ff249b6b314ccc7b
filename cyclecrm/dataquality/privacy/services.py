"""Privacy writes: record consent, erase a contact, save and run retention policies.

Rights (see docs/privacy.md): recording consent needs the edit right on the contact; the
subject access export the export right; erasure the contact delete right at level `all`
(admins by default), because it reaches rows the actor may not see (leads with the same
e-mail, cases, mailing rows); retention policies are the `retention_policy` record type."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.services import CONSENT_CHANNELS, ConsentEvidence, contact_update
from cyclecrm.core.context import request_id_var
from cyclecrm.core.errors import FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.models import HistoryAction, HistoryEntry
from cyclecrm.core.records import claim_version
from cyclecrm.dataquality.models import (
    ConsentPurpose,
    ConsentRecord,
    RetentionAction,
    RetentionPolicy,
    RetentionRun,
)
from cyclecrm.dataquality.privacy.consent import consent_record_write
from cyclecrm.dataquality.privacy.erasure import erase_contact_data
from cyclecrm.dataquality.privacy.retention import RETENTION_KINDS, cutoff_for
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

ERASE_FORBIDDEN = "Erasure needs the right to delete every contact (administrators)."
POLICY_FIELDS = {"record_type", "max_age_days", "action", "is_active"}
MIN_AGE_DAYS = 1


def consent_record_create(
    *,
    actor: User,
    contact: Contact,
    purpose: str,
    granted: bool,
    source: str = "manual",
    text_shown: str = "",
) -> ConsentRecord:
    """Record consent given or withdrawn; a purpose with a contact flag updates the flag (the
    contact service writes the record), otherwise only the record is written."""
    errors = FieldErrors()
    if purpose not in ConsentPurpose.values:
        errors.add("purpose", f"One of: {', '.join(ConsentPurpose.values)}.")
    if not (source or "").strip():
        errors.add("source", "Say where the consent was given (form, call, e-mail...).")
    errors.raise_if_any()
    if not access.can(actor, Action.EDIT, contact):
        raise Forbidden()
    evidence = ConsentEvidence(text_shown=text_shown)
    with transaction.atomic():
        if purpose in CONSENT_CHANNELS and getattr(contact, f"consent_{purpose}") != granted:
            data = {f"consent_{purpose}": granted, f"consent_{purpose}_source": source}
            contact_update(
                actor=actor,
                contact=contact,
                data=data,
                version=contact.version,
                consent_evidence=evidence,
            )
            return ConsentRecord.objects.filter(contact=contact, purpose=purpose).first()
        return consent_record_write(
            actor=actor,
            contact_id=contact.pk,
            purpose=purpose,
            granted=granted,
            source=source,
            text_shown=text_shown,
        )


def can_erase(actor: Any) -> bool:
    return access.level(actor, "contact", Action.DELETE) == Level.ALL


def contact_erase(*, actor: User, contact: Contact) -> dict[str, int]:
    """Anonymize the contact and its personal data everywhere (ADR 24); audited."""
    if not can_erase(actor):
        raise Forbidden(ERASE_FORBIDDEN)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        counts = erase_contact_data(actor=actor, contact=locked)
        Contact.objects.filter(pk=contact.pk).update(
            version=F("version") + 1, updated_at=timezone.now(), updated_by=actor
        )
        emit(Event("contact.erased", "contact", contact.pk, actor.pk, {"rows": counts}))
    return counts


def _policy_data(data: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    for name in sorted(set(data) - POLICY_FIELDS):
        errors.add(name, "Unknown field.")
    if "record_type" in data and data["record_type"] not in RETENTION_KINDS:
        errors.add("record_type", f"One of: {', '.join(RETENTION_KINDS)}.")
    if "action" in data and data["action"] not in RetentionAction.values:
        errors.add("action", "One of: anonymize, delete.")
    age = data.get("max_age_days", MIN_AGE_DAYS)
    if not isinstance(age, int) or age < MIN_AGE_DAYS:
        errors.add("max_age_days", f"A whole number of days, at least {MIN_AGE_DAYS}.")
    errors.raise_if_any()
    return data


def _audit(actor: Any, policy: RetentionPolicy, action: str, changes: dict[str, Any]) -> None:
    """A history row under the `retention_policy` type (the model's own `record_type` column
    names the records it governs, so `core.history.history_record` cannot be used)."""
    HistoryEntry.objects.create(
        record_type="retention_policy",
        object_id=policy.pk,
        object_repr=str(policy)[:200],
        action=action,
        changes=changes,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        request_id=request_id_var.get(),
    )


def _require_policy_right(actor: Any, action: str) -> None:
    if access.level(actor, "retention_policy", action) == Level.NONE:
        raise Forbidden()


def retention_policy_save(
    *,
    actor: User,
    data: dict[str, Any],
    policy: RetentionPolicy | None = None,
    version: int | None = None,
) -> RetentionPolicy:
    """Create (policy None) or update a policy (with the `version` read); one per record
    type."""
    _require_policy_right(actor, Action.EDIT if policy else Action.CREATE)
    data = _policy_data(dict(data))
    if policy is None:
        missing = {"record_type", "max_age_days", "action"} - set(data)
        if missing:
            raise ValidationFailed(fields={name: ["Required."] for name in sorted(missing)})
        if RetentionPolicy.objects.filter(record_type=data["record_type"]).exists():
            raise ValidationFailed(fields={"record_type": ["A policy for it exists already."]})
    target = policy or RetentionPolicy()
    before = {name: getattr(target, name) for name in POLICY_FIELDS} if policy else {}
    for name, value in data.items():
        setattr(target, name, value)
    with transaction.atomic():
        if policy is not None:
            claim_version(target, version)
        target.save()
        after = {name: getattr(target, name) for name in POLICY_FIELDS}
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        action = HistoryAction.UPDATE if policy else HistoryAction.CREATE
        _audit(actor, target, action, changes)
    return target


def retention_policy_delete(*, actor: User, policy: RetentionPolicy) -> None:
    _require_policy_right(actor, Action.DELETE)
    with transaction.atomic():
        _audit(actor, policy, HistoryAction.DELETE, {})
        policy.delete()


def retention_dry_count(*, actor: User, record_type: str, max_age_days: int) -> int:
    """How many rows a policy would handle now (shown before saving)."""
    _require_policy_right(actor, Action.READ)
    _policy_data({"record_type": record_type, "max_age_days": max_age_days})
    return RETENTION_KINDS[record_type].queryset(cutoff_for(max_age_days)).count()


def retention_policy_run(
    *, actor: User, policy: RetentionPolicy, dry_run: bool = False
) -> RetentionRun:
    """Handle the rows past the policy's age; the run and its counts are kept and audited."""
    _require_policy_right(actor, Action.EDIT)
    kind = RETENTION_KINDS[policy.record_type]
    now = timezone.now()
    with transaction.atomic():
        queryset = kind.queryset(cutoff_for(policy.max_age_days, now))
        matched = queryset.count()
        handled = 0 if dry_run else _apply(actor, kind, policy.action, queryset)
        run = RetentionRun.objects.create(
            policy=policy,
            dry_run=dry_run,
            matched=matched,
            handled=handled,
            action=policy.action,
            ran_at=now,
            ran_by=actor if actor.pk else None,
        )
        if not dry_run:
            RetentionPolicy.objects.filter(pk=policy.pk).update(
                last_run_at=now, last_run_count=handled
            )
            counts = {"matched": matched, "handled": handled}
            _audit(actor, policy, HistoryAction.UPDATE, {"run": [None, counts]})
    return run


def _apply(actor: User, kind: Any, action: str, queryset: Any) -> int:
    from cyclecrm.analytics.kpis.cache import invalidate

    # Bulk writes bypass the signals that version the KPI cache (ADR 20).
    transaction.on_commit(lambda: invalidate(queryset.model._meta.label))
    if action == RetentionAction.ANONYMIZE:
        return kind.anonymize(actor, queryset)
    try:
        return queryset.delete()[1].get(queryset.model._meta.label, 0)
    except ProtectedError as exc:
        raise ValidationFailed(
            fields={"action": [f"Rows are still referenced and cannot be deleted: {exc.args[0]}"]}
        ) from exc


def retention_run_due(*, actor: User) -> list[RetentionRun]:
    """Run every active policy (the daily job)."""
    return [
        retention_policy_run(actor=actor, policy=policy)
        for policy in RetentionPolicy.objects.filter(is_active=True)
    ]
