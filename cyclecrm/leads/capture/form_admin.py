"""Managing capture forms: create, change, (de)activate, delete. Forms have no owner, so each
change takes the `all` level on `capture_form` (admins and marketers by default); each change
writes a history row in the same transaction."""

import secrets
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction

from cyclecrm.contacts.normalize import clean_text
from cyclecrm.core.errors import FieldErrors, Forbidden
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.leads.capture.fields import ALLOWED_FIELDS, NAMING_FIELDS
from cyclecrm.leads.models import CaptureForm, LeadSource

EDITABLE = {
    "name", "fields", "required_fields", "consent_text", "double_opt_in", "thank_you_message",
    "redirect_url", "source", "campaign_name", "max_per_ip_per_hour", "max_per_hour", "is_active",
}  # fmt: skip
DEFAULTS: dict[str, Any] = {
    "required_fields": [],
    "consent_text": "",
    "double_opt_in": False,
    "thank_you_message": "",
    "redirect_url": "",
    "source": LeadSource.WEB_FORM,
    "campaign_name": "",
    "max_per_ip_per_hour": 10,
    "max_per_hour": 500,
    "is_active": True,
}
LIMITS = {"max_per_ip_per_hour": 10_000, "max_per_hour": 1_000_000}
TEXT_LIMITS = {"consent_text": 2000, "thank_you_message": 2000}
NEEDS_NAMING = "Include at least one of: " + ", ".join(NAMING_FIELDS) + "."
DOUBLE_OPT_IN_NEEDS = "Double opt-in needs consent text and a required e-mail field."


def _require_all(actor: User, action: str) -> None:
    if access.level(actor, CaptureForm.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} capture forms.")


def _name_list(value: Any, name: str, errors: FieldErrors) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        errors.add(name, "A list of field names.")
        return []
    unknown = sorted({item for item in value if item not in ALLOWED_FIELDS})
    if unknown:
        errors.add(name, f"Not a field a form may ask for: {', '.join(unknown)}.")
    return list(dict.fromkeys(item for item in value if item in ALLOWED_FIELDS))


def _check_fields(state: dict[str, Any], errors: FieldErrors) -> None:
    fields = _name_list(state.get("fields"), "fields", errors)
    if not fields:
        errors.add("fields", "Choose at least one field.")
    elif not set(fields) & set(NAMING_FIELDS):
        errors.add("fields", NEEDS_NAMING)
    required = _name_list(state.get("required_fields"), "required_fields", errors)
    outside = [name for name in required if name not in fields]
    if outside:
        errors.add("required_fields", f"Not on the form: {', '.join(outside)}.")
    state["fields"] = fields
    state["required_fields"] = [name for name in fields if name in required]


def _check_texts(state: dict[str, Any], errors: FieldErrors) -> None:
    state["name"] = clean_text(state.get("name"))
    if not state["name"]:
        errors.add("name", "This field is required.")
    elif len(state["name"]) > 100:
        errors.add("name", "At most 100 characters.")
    state["campaign_name"] = clean_text(state.get("campaign_name"))
    if len(state["campaign_name"]) > 200:
        errors.add("campaign_name", "At most 200 characters.")
    for name, limit in TEXT_LIMITS.items():
        state[name] = str(state.get(name) or "").replace("\r\n", "\n").strip()
        if len(state[name]) > limit:
            errors.add(name, f"At most {limit} characters.")
    state["redirect_url"] = str(state.get("redirect_url") or "").strip()
    if state["redirect_url"]:
        try:
            URLValidator(schemes=["http", "https"])(state["redirect_url"])
        except DjangoValidationError:
            errors.add("redirect_url", "A full http:// or https:// address.")
        if len(state["redirect_url"]) > 500:
            errors.add("redirect_url", "At most 500 characters.")
    if state.get("source") not in LeadSource.values:
        errors.add("source", f"Choose one of: {', '.join(LeadSource.values)}.")


def _check_numbers(state: dict[str, Any], errors: FieldErrors) -> None:
    for name, limit in LIMITS.items():
        value = state.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            errors.add(name, f"A whole number between 1 and {limit}.")
    for name in ("double_opt_in", "is_active"):
        state[name] = bool(state.get(name))


def _validated(state: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    _check_fields(state, errors)
    _check_texts(state, errors)
    _check_numbers(state, errors)
    if state["double_opt_in"] and (
        not state["consent_text"] or "email" not in state["required_fields"]
    ):
        errors.add("double_opt_in", DOUBLE_OPT_IN_NEEDS)
    errors.raise_if_any()
    return state


def _unknown(data: dict[str, Any], errors: FieldErrors) -> None:
    for name in sorted(set(data) - EDITABLE):
        errors.add(name, "Unknown field.")


def capture_form_create(*, actor: User, data: dict[str, Any]) -> CaptureForm:
    _require_all(actor, Action.CREATE)
    errors = FieldErrors()
    _unknown(data, errors)
    state = _validated({**DEFAULTS, **data}, errors)
    form = CaptureForm(**state, public_key=secrets.token_urlsafe(16), created_by=actor)
    with transaction.atomic():
        form.save()
        history_record(
            actor=actor,
            instance=form,
            action=HistoryAction.CREATE,
            changes=diff({}, snapshot(form)),
        )
    return form


def capture_form_update(
    *, actor: User, form: CaptureForm, data: dict[str, Any], version: int | None
) -> CaptureForm:
    """Change the fields given; the public key never changes (embedded forms keep working)."""
    _require_all(actor, Action.EDIT)
    errors = FieldErrors()
    _unknown(data, errors)
    errors.raise_if_any()
    current = {name: getattr(form, name) for name in EDITABLE}
    state = _validated({**current, **data}, errors)
    before = snapshot(form)
    for name in EDITABLE:
        setattr(form, name, state[name])
    changes = diff(before, snapshot(form))
    with transaction.atomic():
        claim_version(form, version)
        if changes:
            form.save(update_fields=sorted(EDITABLE))
            history_record(actor=actor, instance=form, action=HistoryAction.UPDATE, changes=changes)
    return form


def capture_form_delete(*, actor: User, form: CaptureForm) -> None:
    """Delete the form and its submission rows; its leads stay, without the link to it."""
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=form,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(form), {}),
        )
        form.delete()
