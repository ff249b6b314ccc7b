"""Open and click tracking of one-to-one and sequence e-mails: signed URLs and the rewrite.

A tracked e-mail's open pixel and click URLs carry the interaction id signed with Django's
signing (HMAC-SHA256 over SECRET_KEY) under salts of their own, distinct from the mailings'
(`mailings/tokens.py`): a token of one kind is no token of another, an id cannot be changed or
guessed, and a click URL names its link by position inside the signed value, so it can only
lead to a link the e-mail really had. A bad signature is a 404, never a redirect anywhere.

The rewrite happens when the message is built, on the stored (sanitized) body: the tracking
markup is ours, and the interaction keeps the body as written."""

import re
from html import escape, unescape

from django.conf import settings
from django.core import signing
from django.urls import reverse

OPEN_SALT = "cyclecrm.integrations.email.open"
CLICK_SALT = "cyclecrm.integrations.email.click"
_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)


def _base_url() -> str:
    return settings.CYCLECRM["BASE_URL"]


def open_url(interaction_id: int) -> str:
    signed = signing.Signer(salt=OPEN_SALT).sign(str(interaction_id))
    return _base_url() + reverse("email_track_open", args=[signed])


def click_url(interaction_id: int, position: int) -> str:
    signed = signing.Signer(salt=CLICK_SALT).sign(f"{interaction_id}.{position}")
    return _base_url() + reverse("email_track_click", args=[signed])


def parse_open(signed: str) -> int | None:
    """The interaction id inside an open token, or None when we did not sign it."""
    try:
        value = signing.Signer(salt=OPEN_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def parse_click(signed: str) -> tuple[int, int] | None:
    """(interaction id, link position) inside a click token, or None when we did not sign it."""
    try:
        value = signing.Signer(salt=CLICK_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    interaction, _, position = value.partition(".")
    if not (interaction.isdigit() and position.isdigit()):
        return None
    return int(interaction), int(position)


def tracked_html(html: str, interaction_id: int, links: list[str]) -> tuple[str, list[str]]:
    """`html` with its http(s) links turned into click URLs and the open pixel appended, and
    the e-mail's links in order. `links` (known from an earlier attempt) keep their positions;
    mailto:, anchors and links back to this installation stay as written."""
    known = list(links)
    own = _base_url() + "/"

    def rewrite(match: re.Match[str]) -> str:
        url = unescape(match.group(2)).strip()
        if not url.lower().startswith(("http://", "https://")) or url.startswith(own):
            return match.group(0)
        if url not in known:
            known.append(url)
        tracked = click_url(interaction_id, known.index(url))
        return f"{match.group(1)}{escape(tracked)}{match.group(3)}"

    html = _HREF.sub(rewrite, html)
    html += f'<img src="{escape(open_url(interaction_id))}" width="1" height="1" alt="">'
    return html, known
