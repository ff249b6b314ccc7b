"""Rich text (HTML) that users write: cleaned with nh3 on the way in, cleaned again on the way
out (`display_html`, the `rich_text` template filter), and turned into plain text for search and
e-mail. The one sanitizer module: every HTML the CRM stores, sends or shows is cleaned here, by
one of three named policies:

- `RICH_TEXT`: records (case descriptions, articles);
- `MESSAGE`: interactions (notes, and e-mails received, which keep more of their structure);
- `EMAIL`: e-mails we send (templates, mailings and their preview): mail clients have no CSS
  files, so layout tables, images and their presentational attributes stay.

No policy keeps scripts, styles, event handlers, frames, forms, SVG/MathML or URLs other than
http(s), mailto (and tel in messages); script and style elements go with their content.

Two cleanings on purpose: the services store sanitized HTML, but rows also arrive around them
(the ORM, a restored backup, data written by an older version); a page never trusts what is
stored. The display policy is the union of what the entry points keep, so a second pass never
removes formatting the first one kept.
"""

import html
import re
from dataclasses import dataclass, field

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
# Outgoing e-mail: nh3's default tag set (tables, images, ...) and the layout attributes mail
# clients still rely on.
EMAIL_TAGS = set(nh3.ALLOWED_TAGS)
EMAIL_ATTRIBUTES = {
    "*": {"align", "valign", "width", "height", "bgcolor", "title", "dir", "lang"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "table": {"cellpadding", "cellspacing", "border", "role"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MESSAGE_URL_SCHEMES = URL_SCHEMES | {"tel"}
LINK_REL = "noopener noreferrer nofollow"
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[234]|tr|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class Policy:
    """What one kind of HTML may keep."""

    name: str
    tags: frozenset[str]
    attributes: dict[str, set[str]] = field(default_factory=lambda: ALLOWED_ATTRIBUTES)
    url_schemes: frozenset[str] = frozenset(URL_SCHEMES)


RICH_TEXT = Policy("rich text", frozenset(ALLOWED_TAGS))
MESSAGE = Policy("message", frozenset(MESSAGE_TAGS), url_schemes=frozenset(MESSAGE_URL_SCHEMES))
EMAIL = Policy("e-mail", frozenset(EMAIL_TAGS), EMAIL_ATTRIBUTES)


def sanitize(value: str | None, policy: Policy) -> str:
    """`value` with only what `policy` keeps; links get rel="noopener noreferrer nofollow"."""
    if not value:
        return ""
    return nh3.clean(
        str(value),
        tags=set(policy.tags),
        clean_content_tags={"script", "style"},
        attributes=policy.attributes,
        url_schemes=set(policy.url_schemes),
        link_rel=LINK_REL,
    ).strip()


def sanitize_html(value: str | None) -> str:
    """Keep formatting tags and safe links; drop scripts, styles, event handlers."""
    return sanitize(value, RICH_TEXT)


def sanitize_message_html(value: str | None) -> str:
    """Like `sanitize_html`, with the wider tag set of messages (e-mails received)."""
    return sanitize(value, MESSAGE)


def sanitize_email_html(value: str | None) -> str:
    """HTML of an e-mail we send: layout tables and images kept, nothing executable."""
    return sanitize(value, EMAIL)


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
