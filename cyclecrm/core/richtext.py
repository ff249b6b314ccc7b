"""Rich text (HTML) that users write: cleaned with nh3 on the way in, cleaned again on the way
out (`display_html`, the `rich_text` template filter), and turned into plain text for search and
e-mail.

Two cleanings on purpose: the services store sanitized HTML, but rows also arrive around them
(the ORM, a restored backup, data written by an older version); a page never trusts what is
stored. The display policy is the union of what the entry points keep, so a second pass never
removes formatting the first one kept.
"""

import html
import re

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
# Interactions (notes, e-mails in the timeline) keep more of a message's structure.
MESSAGE_TAGS = ALLOWED_TAGS | {
    "abbr", "dd", "del", "div", "dl", "dt", "h1", "h5", "h6", "ins", "q", "s", "small", "span",
    "strike", "sub", "sup",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
MESSAGE_URL_SCHEMES = URL_SCHEMES | {"tel"}
LINK_REL = "noopener noreferrer nofollow"
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[234]|tr|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)


def sanitize_html(value: str | None) -> str:
    """Keep formatting tags and safe links; drop scripts, styles, event handlers."""
    if not value:
        return ""
    return nh3.clean(
        str(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    ).strip()


def sanitize_message_html(value: str | None) -> str:
    """Like `sanitize_html`, with the wider tag set of messages; script and style contents go
    with their tags (an e-mail's CSS would otherwise show as text)."""
    if not value:
        return ""
    return nh3.clean(
        str(value),
        tags=MESSAGE_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=MESSAGE_URL_SCHEMES,
        link_rel=LINK_REL,
    ).strip()


def display_html(value: str | None) -> SafeString:
    """Stored rich text, safe to put in a page whatever wrote it."""
    return mark_safe(sanitize_message_html(value))  # nh3 cleaned it just now


def html_to_text(value: str | None) -> str:
    """Readable plain text of (sanitized) HTML: block ends become line breaks."""
    if not value:
        return ""
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(_TAG.sub(" ", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
