"""Reading one submission (a form post or a JSON body) into normalized lead values.

Like every input: only the fields the form asks for (plus UTM parameters, the honeypot, the
consent box and the form token) are accepted, each a single text of bounded length; required
fields must be filled; e-mail, phone, country and website go through the lead normalization. A
filled honeypot stops reading at once: nothing else about the submission matters.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from cyclecrm.contacts.normalize import clean_text
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.leads.capture.fields import (
    CAMPAIGN_FIELD,
    CONSENT_FALSE,
    CONSENT_FIELD,
    CONSENT_TRUE,
    EXTRA_MAX_LENGTH,
    FIELD_SPECS,
    HONEYPOT_FIELD,
    NAMING_FIELDS,
    REFERRAL_FIELD,
    TOKEN_FIELD,
    UTM_FIELDS,
    UTM_MAX_LENGTH,
)
from cyclecrm.leads.models import CaptureForm, TimelineHorizon
from cyclecrm.leads.services import normalize_lead

MAX_KEYS = 60
MAX_EMPLOYEES = 2_147_483_647
KEY_SHOWN = 100
STORED_TEXT_MAX = 200

REQUIRED = "This field is required."
NOT_TEXT = "Send a single text value."
BAD_CHARACTER = "Contains a character that is not allowed."
UNKNOWN = "Unknown field."
NAME_NEEDED = "Fill in your name, your company or your e-mail address."


@dataclass(frozen=True)
class ParsedSubmission:
    values: dict[str, Any] = field(default_factory=dict)  # normalized, non-empty only
    utm: dict[str, str] = field(default_factory=dict)  # non-empty only
    consent: bool = False
    honeypot: bool = False
    campaign: str = ""  # the `campaign` parameter (a campaign code or id), when given
    referral_code: str = ""  # the `ref` parameter as sent (checked by the lead service)

    def stored(self) -> dict[str, Any]:
        """What the FormSubmission row keeps (JSON)."""
        values = {
            name: str(value) if isinstance(value, Decimal) else value
            for name, value in self.values.items()
        }
        return {"values": values, "utm": dict(self.utm), "consent": self.consent}


def as_text(value: Any) -> str:
    """One submitted value as text; raises ValueError for lists, objects and booleans, and for
    text a database cannot store (NUL, lone surrogates)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(NOT_TEXT)
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        raise ValueError(BAD_CHARACTER)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(BAD_CHARACTER) from exc
    return text


def honeypot_filled(data: Mapping[str, Any]) -> bool:
    value = data.get(HONEYPOT_FIELD)
    if value is None or value is False:
        return False
    return bool(str(value).strip())


def allowed_keys(form: CaptureForm) -> set[str]:
    keys = {*form.fields, *UTM_FIELDS, HONEYPOT_FIELD, TOKEN_FIELD, CAMPAIGN_FIELD, REFERRAL_FIELD}
    if form.consent_text:
        keys.add(CONSENT_FIELD)
    return keys


def sanitized(form: CaptureForm, data: Mapping[str, Any]) -> dict[str, str]:
    """The known inputs of a rejected submission, shortened, for the audit row."""
    kept = {}
    for key in sorted(allowed_keys(form) - {TOKEN_FIELD}):
        try:
            text = as_text(data.get(key))
        except ValueError:
            continue
        if text:
            kept[key] = text[:STORED_TEXT_MAX]
    return kept


def _clean(data: Mapping[str, Any], name: str, max_length: int, errors: FieldErrors) -> str | None:
    """The trimmed text, "" when empty, None when in error (the error is added)."""
    try:
        text = clean_text(as_text(data.get(name)))
    except ValueError as exc:
        errors.add(name, str(exc))
        return None
    if len(text) > max_length:
        errors.add(name, f"At most {max_length} characters.")
        return None
    return text


def _typed(name: str, text: str, errors: FieldErrors) -> Any:
    if name == "employees":
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_EMPLOYEES:
            errors.add(name, "A whole number, e.g. 50.")
            return None
        return int(text)
    if name == "timeline_horizon" and text not in TimelineHorizon.values:
        errors.add(name, f"Choose one of: {', '.join(TimelineHorizon.values)}.")
        return None
    return text


def _lead_values(form: CaptureForm, data: Mapping[str, Any], errors: FieldErrors) -> dict:
    values: dict[str, Any] = {}
    for name in form.fields:
        spec = FIELD_SPECS.get(name)
        if spec is None:
            continue
        text = _clean(data, name, spec.max_length, errors)
        if text == "" and name in form.required_fields:
            errors.add(name, REQUIRED)
        if not text:
            continue
        value = _typed(name, text, errors)
        if value is not None:
            values[name] = value
    return values


def _consent(form: CaptureForm, data: Mapping[str, Any], errors: FieldErrors) -> bool:
    if not form.consent_text or CONSENT_FIELD not in data:
        return False
    raw = data[CONSENT_FIELD]
    if isinstance(raw, bool):
        return raw
    try:
        text = as_text(raw).strip().lower()
    except ValueError:
        text = "?"
    if text in CONSENT_TRUE:
        return True
    if text not in CONSENT_FALSE:
        errors.add(CONSENT_FIELD, "Tick the box (true) or leave it empty (false).")
    return False


def _normalized(form: CaptureForm, values: dict[str, Any], errors: FieldErrors) -> dict:
    if not any(values.get(name) for name in NAMING_FIELDS):
        first = next((name for name in form.fields if name in NAMING_FIELDS), "non_field")
        errors.add(first, NAME_NEEDED)
    if errors:
        return values
    try:
        values = normalize_lead(values)
    except ValidationFailed as exc:
        for name, reasons in exc.fields.items():
            for reason in reasons:
                errors.add(name, reason)
        return values
    if "budget" in values:
        if values["budget"] < 0:
            errors.add("budget", "Must not be negative.")
        values["budget_currency"] = settings.CYCLECRM["DEFAULT_CURRENCY"]
    return values


def submission_parse(form: CaptureForm, data: Any) -> ParsedSubmission:
    """Raises ValidationFailed naming every field in error."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(fields={"non_field": ["Send the fields as an object."]})
    if honeypot_filled(data):
        return ParsedSubmission(honeypot=True)
    errors = FieldErrors()
    if len(data) > MAX_KEYS:
        raise ValidationFailed(fields={"non_field": [f"At most {MAX_KEYS} fields."]})
    for key in data:
        if key not in allowed_keys(form):
            errors.add(str(key)[:KEY_SHOWN], UNKNOWN)
    values = _lead_values(form, data, errors)
    utm = {name: _clean(data, name, UTM_MAX_LENGTH, errors) for name in UTM_FIELDS}
    _clean(data, TOKEN_FIELD, EXTRA_MAX_LENGTH, errors)
    campaign = _clean(data, CAMPAIGN_FIELD, UTM_MAX_LENGTH, errors)
    consent = _consent(form, data, errors)
    values = _normalized(form, values, errors)
    errors.raise_if_any()
    return ParsedSubmission(
        values=values,
        utm={name: text for name, text in utm.items() if text},
        consent=consent,
        campaign=campaign or "",
        referral_code=_referral(data),
    )


def _referral(data: Mapping[str, Any]) -> str:
    """The `ref` value, or "" when it is not a short single text: a bad code must not cost the
    visitor their submission."""
    try:
        text = clean_text(as_text(data.get(REFERRAL_FIELD)))
    except ValueError:
        return ""
    return text if len(text) <= EXTRA_MAX_LENGTH else ""
