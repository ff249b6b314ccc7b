"""`{{ value|rich_text }}`: stored rich text shown as markup, sanitized again on the way out.

Templates use it instead of `|safe` for anything a user, an e-mail or an import wrote
(docs/security.md, "Web hardening").
"""

from django import template
from django.utils.safestring import SafeString

from cyclecrm.core.richtext import display_html

register = template.Library()


@register.filter(name="rich_text")
def rich_text(value: str | None) -> SafeString:
    return display_html(value)
