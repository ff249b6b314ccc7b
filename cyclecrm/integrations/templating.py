"""Merge fields in e-mail templates, rendered in a sandbox.

A template sees only plain dictionaries built here (`contact`, `account`, `lead`,
`opportunity`, `case`, `sender`, `base_url`), never model instances, so
`{{ contact.owner.password }}` or a method call cannot reach anything else. The engine has no
template loaders (no `{% include %}` / `{% extends %}` of files) and no extra tag libraries;
autoescape is off for plain text (`render_text`); `render_html` escapes merge values and
sanitizes the result with the e-mail policy of `core.richtext`.

Conditional blocks are the engine's `{% if %}` / `{% elif %}` / `{% else %}` (and `{% for %}` over
the plain lists there are); tags that could reveal the server (`{% debug %}`) or reach other
templates (`{% include %}`, `{% extends %}`, `{% load %}`) are refused before compiling.
"""

import re
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.richtext import sanitize_email_html

_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False)
_FORBIDDEN_TAGS = frozenset({"debug", "include", "extends", "load", "ssi"})
_TAG = re.compile(r"{%-?\s*(\w+)")


def _person(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    data = {name: getattr(record, name, "") or "" for name in names}
    data["full_name"] = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    return data


def merge_context(*, record: Any, sender: Any) -> dict[str, Any]:
    """The merge fields for `record` (a contact, lead, opportunity or case) sent by `sender`."""
    context: dict[str, Any] = {
        "sender": _person(sender, ("first_name", "last_name", "email")),
        "base_url": settings.CYCLECRM["BASE_URL"],
    }
    kind = record.record_type
    contact = record if kind == "contact" else getattr(record, "contact", None)
    account = getattr(record, "account", None)
    if contact is not None:
        context["contact"] = _person(
            contact, ("first_name", "last_name", "email", "title", "phone", "city", "country")
        )
        account = account or contact.account
    if account is not None:
        context["account"] = {"name": account.name, "website": account.website}
    if kind == "lead":
        context["lead"] = _person(
            record, ("first_name", "last_name", "email", "company", "title", "phone")
        )
    elif kind == "opportunity":
        context["opportunity"] = {
            "name": record.name,
            "amount": record.amount,
            "currency": getattr(record, "currency", ""),
            "expected_close_date": record.expected_close_date,
        }
    elif kind == "case":
        context["case"] = {"number": record.number, "subject": record.subject}
    return context


def check_template(source: str) -> None:
    """Raises TemplateSyntaxError when `source` does not compile or uses a refused tag."""
    _compile(source)


def _compile(source: str) -> Any:
    refused = sorted({name for name in _TAG.findall(source) if name in _FORBIDDEN_TAGS})
    if refused:
        raise TemplateSyntaxError(f"The tag {{% {refused[0]} %}} is not allowed in e-mails.")
    return _ENGINE.from_string(source)


def render_text(source: str, context: dict[str, Any], *, field: str) -> str:
    try:
        return _compile(source).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise ValidationFailed(fields={field: [f"Template error: {exc}"]}) from exc


def render_html(source: str, context: dict[str, Any], *, field: str) -> str:
    """Render HTML with merge values escaped, then sanitize what came out."""
    try:
        rendered = _compile(source).render(Context(context, autoescape=True))
    except TemplateSyntaxError as exc:
        raise ValidationFailed(fields={field: [f"Template error: {exc}"]}) from exc
    return sanitize_email_html(rendered)
