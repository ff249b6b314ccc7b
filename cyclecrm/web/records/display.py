"""Rendering record values for people: labels, links, dates, choices, countries, badges.

Values are escaped here (format_html), so templates print the result as is. A link to another
business record is only drawn when the caller says the user may read that record.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import phonenumbers
import pycountry
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import localtime

from cyclecrm.core.models import CustomField, CustomFieldKind
from cyclecrm.core.richtext import display_html
from cyclecrm.identity.models import Team, User

EMPTY = mark_safe('<span class="text-body-tertiary">—</span>')
PHONE_FIELDS = {"phone", "mobile"}
DIRECTORY_MODELS = (User, Team)


def field_label(
    model: type[models.Model],
    name: str,
    *,
    labels: Mapping[str, str] | None = None,
    defs: Mapping[str, CustomField] | None = None,
) -> str:
    """A human label for a field name, an attname (`owner_id`) or `custom.<key>`."""
    if labels and name in labels:
        return labels[name]
    if name.startswith("custom."):
        definition = (defs or {}).get(name[7:])
        return definition.label if definition else name[7:]
    if name == "tags":
        return "Tags"
    for candidate in (name, name.removesuffix("_id")):
        try:
            return capfirst(str(model._meta.get_field(candidate).verbose_name))
        except FieldDoesNotExist:
            continue
    return capfirst(name.replace("_", " "))


def model_field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def linked_record_fields(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """Foreign keys among `names` that point to business records (whose visibility matters),
    as opposed to directory rows (users, teams) everyone may read."""
    found = []
    for name in names:
        field = model_field(model, name)
        if field is not None and field.many_to_one and field.related_model not in DIRECTORY_MODELS:
            found.append(name)
    return found


def record_link(record: Any) -> SafeString:
    try:
        url = reverse(f"{record.record_type}_detail", args=[record.pk])
    except NoReverseMatch:
        return format_html("{}", record)
    return format_html('<a href="{}">{}</a>', url, record)


def display_value(
    obj: models.Model,
    name: str,
    *,
    defs: Mapping[str, CustomField] | None = None,
    link_visible: bool = True,
) -> SafeString:
    """The value of `name` on `obj`, as safe HTML."""
    if name.startswith("custom."):
        key = name[7:]
        return custom_display((obj.custom or {}).get(key), (defs or {}).get(key))
    if name == "tags":
        return tag_badges(obj.tags.all())
    field = model_field(type(obj), name)
    if field is None:
        return plain_display(getattr(obj, name, None))
    if field.many_to_one:
        related = getattr(obj, name)
        if related is None or (not link_visible and field.related_model not in DIRECTORY_MODELS):
            return EMPTY
        if field.related_model in DIRECTORY_MODELS:
            return format_html("{}", related)
        return record_link(related)
    value = getattr(obj, field.attname)
    if value in (None, "", [], {}):
        return EMPTY
    if field.choices:
        return format_html("{}", getattr(obj, f"get_{name}_display")())
    if name in getattr(type(obj), "rich_text_fields", ()):
        # Stored sanitized by the services; sanitized again here so rows written any other way
        # (imports, the ORM) cannot inject markup into a page.
        return display_html(value)
    return typed_display(field, name, value)


def is_web_url(value: str) -> bool:
    """Only http(s) addresses become links: a `javascript:` or `data:` value stored around the
    form validation (an import, the ORM) stays plain text."""
    return value.strip().lower().startswith(("http://", "https://"))


def typed_display(field: models.Field, name: str, value: Any) -> SafeString:
    """A non-empty plain value, drawn according to its field (link, country, phone...)."""
    if isinstance(value, bool):
        return yes_no(value)
    if name.endswith("email") and isinstance(value, str):
        return format_html('<a href="mailto:{}">{}</a>', value, value)
    if isinstance(field, models.URLField) and isinstance(value, str) and is_web_url(value):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', value, value
        )
    if name in PHONE_FIELDS and isinstance(value, str):
        return format_html('<a href="tel:{}">{}</a>', value, phone_display(value))
    if name.endswith("country") and isinstance(value, str):
        return country_display(value)
    if isinstance(field, models.TextField) and isinstance(value, str):
        return mark_safe(linebreaks(value, autoescape=True))
    return plain_display(value)


def plain_display(value: Any) -> SafeString:
    if value in (None, "", [], {}):
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dt.datetime):
        local = localtime(value) if value.tzinfo else value
        return format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), local.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, dt.date):
        return format_html("{}", value.isoformat())
    if isinstance(value, Decimal):
        return format_html("{}", f"{value:,}")
    if isinstance(value, int):
        return format_html("{}", f"{value:,}")
    if isinstance(value, list):
        return format_html("{}", ", ".join(str(item) for item in value))
    if isinstance(value, dict):
        return format_html_join(
            mark_safe("<br>"), "<span class='text-body-secondary'>{}:</span> {}", value.items()
        )
    return format_html("{}", value)


def yes_no(value: bool) -> SafeString:
    if value:
        return mark_safe('<i class="bi bi-check-circle-fill text-success"></i> Yes')
    return mark_safe('<i class="bi bi-dash-circle text-body-tertiary"></i> No')


def custom_display(value: Any, definition: CustomField | None) -> SafeString:
    if value in (None, "", []):
        return EMPTY
    if definition is not None and definition.kind == CustomFieldKind.BOOL:
        return yes_no(bool(value))
    if definition is not None and definition.kind == CustomFieldKind.DECIMAL:
        try:
            return plain_display(Decimal(str(value)))
        except ArithmeticError:
            return plain_display(value)
    return plain_display(value)


def tag_badges(tags: Iterable[Any]) -> SafeString:
    items = [(tag.name,) for tag in tags]
    if not items:
        return EMPTY
    return format_html_join(
        " ", '<span class="badge rounded-pill text-bg-light border">{}</span>', items
    )


def phone_display(value: str) -> str:
    """E.164 as people read it: `+12025550147` -> `+1 202-555-0147`."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return getattr(country, "common_name", None) or getattr(country, "name", "") if country else ""


def country_display(code: str) -> SafeString:
    name = country_name(code)
    if not name:
        return format_html("{}", code)
    return format_html(
        '<span title="{}">{} <span class="text-body-secondary">{}</span></span>', name, code, name
    )
