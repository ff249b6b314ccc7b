"""Reading a raw RFC 5322 message into what the CRM stores (stdlib `email`, policy=default)."""

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from email_validator import EmailNotValidError, validate_email

from cyclecrm.core.richtext import sanitize_message_html

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: str
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    date: dt.datetime | None
    body_html: str
    attachments: list[Attachment] = field(default_factory=list)
    skipped_attachments: list[str] = field(default_factory=list)

    @property
    def participants(self) -> list[str]:
        """Every address on the message, sender first, without repeats."""
        return [a for a in dict.fromkeys([self.from_address, *self.to, *self.cc]) if a]


def message_key(message_id: str, raw: bytes) -> str:
    """What dedupes a message: its Message-ID, or the raw bytes when it has none."""
    source = message_id.encode() if message_id else raw
    return hashlib.sha256(source).hexdigest()


def message_ids(value: str | None) -> list[str]:
    """The `<id>` tokens of a Message-ID / In-Reply-To / References header, in order."""
    return _MSGID.findall(str(value or ""))


def clean_address(value: str) -> str:
    """A lower-cased, validated address, or "" for something that is not one."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return ""


def _addresses(message: EmailMessage, header: str) -> list[tuple[str, str]]:
    values = [str(value) for value in message.get_all(header, [])]
    pairs = []
    for name, address in getaddresses(values):
        cleaned = clean_address(address)
        if cleaned:
            pairs.append((name.strip(), cleaned))
    return pairs


def _date(message: EmailMessage) -> dt.datetime | None:
    try:
        value = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    if value is None or value.tzinfo is None:
        return None
    return value.astimezone(dt.UTC)


def text_to_html(text: str) -> str:
    """Plain text as sanitized HTML paragraphs (line breaks kept)."""
    paragraphs = [part.strip("\n") for part in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    escaped = [html.escape(part).replace("\n", "<br>") for part in paragraphs if part.strip()]
    return "".join(f"<p>{part}</p>" for part in escaped)


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html", "plain"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        content = part.get_payload(decode=True).decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        return sanitize_message_html(content)
    return text_to_html(content)


def _attachments(message: EmailMessage, max_bytes: int) -> tuple[list[Attachment], list[str]]:
    kept: list[Attachment] = []
    skipped: list[str] = []
    for part in message.iter_attachments():
        filename = part.get_filename() or "attachment"
        payload = part.get_payload(decode=True) or b""
        if len(payload) > max_bytes:
            skipped.append(filename)
            continue
        kept.append(
            Attachment(
                filename=filename[:255],
                content_type=part.get_content_type()[:100],
                content=payload,
                content_id=str(part.get("Content-ID", "")).strip()[:255],
            )
        )
    return kept, skipped


def parse_message(raw: bytes, *, max_attachment_bytes: int) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    senders = _addresses(message, "From")
    from_name, from_address = senders[0] if senders else ("", "")
    own_id = message_ids(message.get("Message-ID"))
    reply_to = message_ids(message.get("In-Reply-To"))
    attachments, skipped = _attachments(message, max_attachment_bytes)
    return ParsedEmail(
        message_id=own_id[0] if own_id else "",
        in_reply_to=reply_to[0] if reply_to else "",
        references=message_ids(message.get("References")),
        subject=str(message.get("Subject", "")).strip()[:300],
        from_address=from_address,
        from_name=from_name,
        to=[address for _, address in _addresses(message, "To")],
        cc=[address for _, address in _addresses(message, "Cc")],
        date=_date(message),
        body_html=_body(message),
        attachments=attachments,
        skipped_attachments=skipped,
    )
