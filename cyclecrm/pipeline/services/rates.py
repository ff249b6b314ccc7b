"""Writes for exchange rates: shared configuration, changed by whoever administers pipelines
(the `all` level on `pipeline`). Each change is written to the audit history."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from cyclecrm.core.errors import Duplicate, FieldErrors
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import claim_version
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.models import ExchangeRate
from cyclecrm.pipeline.services.opportunities import CURRENCY_RE
from cyclecrm.pipeline.services.pipelines import require_pipeline_admin

RATE_FIELDS = {"currency", "valid_from", "rate"}
RATE_MAX = 10**10  # max_digits 20, decimal_places 10
RATE_QUANTUM = Decimal("1e-10")


def _clean(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    clean: dict[str, Any] = {}
    for name in sorted(set(data) - RATE_FIELDS):
        errors.add(name, "Unknown field.")
    if creating:
        for name in sorted(RATE_FIELDS - set(data)):
            errors.add(name, "This field is required.")
    if "currency" in data:
        currency = str(data["currency"] or "").strip().upper()
        if not CURRENCY_RE.match(currency):
            errors.add("currency", "A three-letter ISO 4217 code, e.g. EUR.")
        elif currency == settings.CYCLECRM["DEFAULT_CURRENCY"].upper():
            errors.add("currency", f"{currency} is the base currency: its rate is always 1.")
        clean["currency"] = currency
    if "valid_from" in data:
        value = data["valid_from"]
        try:
            clean["valid_from"] = (
                value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            )
        except ValueError:
            errors.add("valid_from", "A date as YYYY-MM-DD.")
    if "rate" in data:
        try:
            rate = parse_decimal(data["rate"], field="rate")
        except ValueError as exc:
            errors.add("rate", str(exc).removeprefix("rate: "))
        else:
            if not 0 < rate < RATE_MAX:
                errors.add("rate", "A positive number of base currency units per unit.")
            elif rate != rate.quantize(RATE_QUANTUM):
                errors.add("rate", "At most 10 decimal places.")
            clean["rate"] = rate
    errors.raise_if_any()
    return clean


def _snapshot(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "currency": rate.currency,
        "valid_from": rate.valid_from.isoformat(),
        "rate": format(rate.rate.normalize(), "f"),
    }


def _save(rate: ExchangeRate) -> None:
    try:
        with transaction.atomic():
            rate.save()
    except IntegrityError as exc:
        raise Duplicate(
            fields={"valid_from": [f"{rate.currency} already has a rate from this day."]}
        ) from exc


def exchange_rate_create(*, actor: User, data: dict[str, Any]) -> ExchangeRate:
    """A rate: how many base currency units one `currency` unit is worth from `valid_from` on
    (one rate per currency and day: 409 `duplicate` otherwise)."""
    require_pipeline_admin(actor, Action.CREATE)
    rate = ExchangeRate(**_clean(dict(data), creating=True))
    with transaction.atomic():
        _save(rate)
        history_record(
            actor=actor,
            instance=rate,
            action=HistoryAction.CREATE,
            changes=diff({}, _snapshot(rate)),
        )
    return rate


def exchange_rate_update(
    *, actor: User, rate: ExchangeRate, data: dict[str, Any], version: int | None
) -> ExchangeRate:
    require_pipeline_admin(actor, Action.EDIT)
    clean = _clean(dict(data), creating=False)
    before = _snapshot(rate)
    for name, value in clean.items():
        setattr(rate, name, value)
    with transaction.atomic():
        claim_version(rate, version)
        _save(rate)
        changes = diff(before, _snapshot(rate))
        if changes:
            history_record(actor=actor, instance=rate, action=HistoryAction.UPDATE, changes=changes)
    return rate


def exchange_rate_delete(*, actor: User, rate: ExchangeRate) -> None:
    require_pipeline_admin(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=rate,
            action=HistoryAction.DELETE,
            changes=diff(_snapshot(rate), {}),
        )
        rate.delete()
