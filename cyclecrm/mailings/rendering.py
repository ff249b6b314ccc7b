"""A mailing's message for one recipient: merge fields, tracked links, the open pixel, the
unsubscribe link and the RFC 8058 headers.

Order matters: the HTML is rendered with merge values escaped and sanitized first
(`templating.render_html`); only then are links rewritten and the pixel added, so the tracking
markup is ours and never passes through user content."""

import hashlib
import re
from dataclasses import dataclass, field
from email.utils import formataddr
from html import escape, unescape
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.html import linebreaks

from cyclecrm.contacts.models import Contact
from cyclecrm.integrations.services.outbound import html_to_text
from cyclecrm.integrations.templating import merge_context, render_html, render_text
from cyclecrm.mailings import tokens
from cyclecrm.mailings.models import Mailing, MailingLink

_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)
_HAS_TAG = re.compile(r"<[a-zA-Z][^>]*>")
UNSUBSCRIBE_FIELD = "unsubscribe_url"


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)


def sources(mailing: Mailing) -> tuple[str, str, str]:
    """Subject, HTML and text sources: the mailing's own body, else its template's."""
    html = mailing.html_body
    if not html.strip() and mailing.template is not None:
        body = mailing.template.body
        html = body if _HAS_TAG.search(body) else linebreaks(body)
    return mailing.subject, html, mailing.text_body


class LinkBook:
    """The tracked links of one mailing, created on first use and cached for a batch."""

    def __init__(self, mailing: Mailing) -> None:
        self.mailing = mailing
        self._ids: dict[str, int] = {}

    def link_id(self, url: str) -> int:
        if url not in self._ids:
            digest = hashlib.sha256(url.encode()).hexdigest()
            link, _ = MailingLink.objects.get_or_create(
                mailing=self.mailing, url_hash=digest, defaults={"url": url[:2000]}
            )
            self._ids[url] = link.pk
        return self._ids[url]


def _context(mailing: Mailing, contact: Contact, unsubscribe: str) -> dict[str, Any]:
    context = merge_context(record=contact, sender=mailing.owner)
    context[UNSUBSCRIBE_FIELD] = unsubscribe
    context["mailing"] = {"name": mailing.name}
    return context


def _track_links(html: str, token: str, links: LinkBook) -> str:
    own = tokens.base_url() + "/u/"

    def rewrite(match: re.Match[str]) -> str:
        url = unescape(match.group(2))
        if not url.lower().startswith(("http://", "https://")) or url.startswith(own):
            return match.group(0)  # mailto:, anchors and our own unsubscribe link stay
        tracked = tokens.click_url(token, links.link_id(url))
        return f"{match.group(1)}{escape(tracked)}{match.group(3)}"

    return _HREF.sub(rewrite, html)


def render(
    mailing: Mailing, contact: Contact, *, token: str | None, links: LinkBook | None
) -> Rendered:
    """The message for `contact`. Without a token (preview, test send) links stay as written,
    there is no pixel and the unsubscribe link points nowhere real ("#")."""
    subject_src, html_src, text_src = sources(mailing)
    unsubscribe = tokens.unsubscribe_url(token) if token else "#"
    context = _context(mailing, contact, unsubscribe)
    subject = " ".join(render_text(subject_src, context, field="subject").split())[:300]
    html = render_html(html_src, context, field="html_body")
    text = render_text(text_src, context, field="text_body") if text_src.strip() else ""
    text = text or html_to_text(html)
    if UNSUBSCRIBE_FIELD not in html_src:
        html += f'<p><a href="{escape(unsubscribe)}">Unsubscribe</a></p>'
    if UNSUBSCRIBE_FIELD not in text_src:
        text = f"{text.rstrip()}\n\n--\nUnsubscribe: {unsubscribe}\n"
    headers: dict[str, str] = {}
    if token and links is not None:
        html = _track_links(html, token, links)
        html += f'<img src="{escape(tokens.open_url(token))}" width="1" height="1" alt="">'
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>, <mailto:{tokens.unsubscribe_mailto(token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return Rendered(subject=subject, html=html, text=text, headers=headers)


def sender(mailing: Mailing) -> str:
    address = mailing.from_email or settings.DEFAULT_FROM_EMAIL
    return formataddr((mailing.from_name, address)) if mailing.from_name else address


def build_message(
    mailing: Mailing,
    rendered: Rendered,
    *,
    to: str,
    message_id: str,
    envelope_from: str | None = None,
) -> EmailMultiAlternatives:
    """The MIME message. `envelope_from` (the VERP bounce address) becomes the SMTP MAIL FROM,
    which the receiving server turns into Return-Path; the From header stays the sender's."""
    headers = {"Message-ID": message_id, "From": sender(mailing), **rendered.headers}
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=envelope_from or sender(mailing),
        to=[to],
        headers=headers,
        reply_to=[mailing.reply_to] if mailing.reply_to else None,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message
