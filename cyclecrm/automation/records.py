"""The record types workflow rules act on: their model, the owning app's update service (so
history, rights and domain rules apply to a rule's changes) and the fields conditions may test.

Contacts use the segment rule catalog itself (every segment field, account, behaviour and the
model predictions included). Other types test their own simple columns (text, choice, number,
date, foreign key ids) with the same language and compiler, plus the predictions kept for
them (`PREDICTION_FIELDS`: a lead's conversion probability); see docs/adr/0014."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models

from cyclecrm.segments.rules.fields import CHOICE, DATE, NUMBER, TEXT, FieldSpec, field_spec

Updater = Callable[..., Any]
SLUG_KEY = re.compile(r"custom\.[-a-zA-Z0-9_]{1,50}")


@dataclass(frozen=True)
class AutomatedType:
    key: str
    label: str
    model_path: str
    update_path: str
    update_kwarg: str

    @property
    def model(self) -> type[models.Model]:
        return _import(self.model_path)

    @property
    def update(self) -> Updater:
        return _import(self.update_path)


def _import(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


AUTOMATED_TYPES: dict[str, AutomatedType] = {
    item.key: item
    for item in (
        AutomatedType(
            "contact",
            "Contact",
            "cyclecrm.contacts.models.Contact",
            "cyclecrm.contacts.services.contact_update",
            "contact",
        ),
        AutomatedType(
            "account",
            "Account",
            "cyclecrm.contacts.models.Account",
            "cyclecrm.contacts.services.account_update",
            "account",
        ),
        AutomatedType(
            "lead",
            "Lead",
            "cyclecrm.leads.models.Lead",
            "cyclecrm.leads.services.lead_update",
            "lead",
        ),
        AutomatedType(
            "opportunity",
            "Opportunity",
            "cyclecrm.pipeline.models.Opportunity",
            "cyclecrm.pipeline.services.opportunity_update",
            "opportunity",
        ),
        AutomatedType(
            "case",
            "Case",
            "cyclecrm.support.models.Case",
            "cyclecrm.support.services.case_update",
            "case",
        ),
    )
}

# Columns a rule neither tests nor sets: bookkeeping and JSON documents.
_SKIPPED = {"id", "version", "custom", "external_id", "created_by", "updated_by"}


def _spec_for(field: models.Field) -> FieldSpec | None:
    name = field.attname
    label = str(field.verbose_name).capitalize()
    if field.choices:
        choices = tuple(str(value) for value, _ in field.flatchoices)
        return FieldSpec(name, label, CHOICE, name, group="Record", choices=choices, reads=(name,))
    if isinstance(field, models.ForeignKey):
        return FieldSpec(name, label, NUMBER, name, group="Record", reads=(field.name,))
    if isinstance(field, models.CharField | models.TextField | models.EmailField):
        return FieldSpec(name, label, TEXT, name, group="Record", reads=(name,))
    if isinstance(field, models.DecimalField):
        return FieldSpec(name, label, NUMBER, name, group="Record", reads=(name,), is_decimal=True)
    if isinstance(field, models.IntegerField | models.BigIntegerField):
        return FieldSpec(name, label, NUMBER, name, group="Record", reads=(name,))
    if isinstance(field, models.DateTimeField):
        return FieldSpec(name, label, DATE, name, group="Record", reads=(name,), is_datetime=True)
    if isinstance(field, models.DateField):
        return FieldSpec(name, label, DATE, name, group="Record", reads=(name,))
    return None


# Model outputs a record type's conditions may test, read through the record's `insight`
# one-to-one (docs/intelligence/clusters-and-segments.md); a record not scored is empty.
PREDICTION_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "lead": (
        FieldSpec(
            "insight.conversion_probability",
            "Conversion probability (0-1)",
            NUMBER,
            "insight__conversion_probability",
            group="Predictions",
            is_decimal=True,
        ),
    ),
}


@cache
def _own_fields(type_key: str) -> dict[str, FieldSpec]:
    model = AUTOMATED_TYPES[type_key].model
    specs = {}
    for field in model._meta.concrete_fields:
        if field.name in _SKIPPED or field.primary_key:
            continue
        spec = _spec_for(field)
        if spec is not None:
            specs[spec.key] = spec
    for spec in PREDICTION_FIELDS.get(type_key, ()):
        specs[spec.key] = spec
    return specs


def condition_fields(type_key: str) -> Callable[[str], FieldSpec | None]:
    """The field resolver conditions on `type_key` records compile with."""
    if type_key == "contact":
        return field_spec
    return _own_fields(type_key).get


def condition_catalog(type_key: str) -> list[FieldSpec]:
    if type_key == "contact":
        from cyclecrm.segments.rules import field_catalog

        return field_catalog()
    return list(_own_fields(type_key).values())


def settable_field(type_key: str, name: str) -> models.Field | None:
    """A model field an `update_field` action may set (not bookkeeping, not derived)."""
    model = AUTOMATED_TYPES[type_key].model
    derived = getattr(model, "derived_fields", frozenset())
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            if field.name in _SKIPPED | derived or field.primary_key or not field.editable:
                return None
            return field
    return None


def watchable(type_key: str, name: Any) -> bool:
    """Whether an `updated` trigger may watch `name`: a column (as in the history: `city`,
    `owner_id`), `tags`, or `custom.<key>`."""
    if not isinstance(name, str):
        return False
    if name == "tags" or SLUG_KEY.fullmatch(name):
        return True
    model = AUTOMATED_TYPES[type_key].model
    return any(name in (f.name, f.attname) for f in model._meta.concrete_fields)
