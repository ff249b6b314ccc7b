"""Rich text (HTML) that users write: cleaned with nh3 on the way in, so templates may show it
as is, and turned into plain text for search and e-mail."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan"}}
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
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def html_to_text(value: str | None) -> str:
    """Readable plain text of (sanitized) HTML: block ends become line breaks."""
    if not value:
        return ""
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(_TAG.sub(" ", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
