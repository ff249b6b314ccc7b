"""Bounces and mailed unsubscribes arriving in a polled mailbox (an inbound filter registered
with the e-mail integration).

Each message is sent with the envelope sender `bounces+<token>@<bounce domain>` (VERP), so a
bounce comes back addressed to the recipient's token. A bounce is recognized as a delivery
status notification (`multipart/report; report-type=delivery-status`) or by a typical bounce
sender (MAILER-DAEMON, postmaster); it is matched to the recipient by the VERP token in its
addresses, else by the original Message-ID quoted in it. Status 4.x.x is a soft bounce,
anything else hard. A message to `unsubscribe+<token>@...` (the List-Unsubscribe mailto)
unsubscribes that recipient."""

import re
from email import policy
from email.message import Message
from email.parser import BytesParser

from cyclecrm.mailings.models import BounceKind
from cyclecrm.mailings.services.tracking import (
    bounce_record,
    recipient_find,
    recipient_unsubscribe,
)

OUTCOME = "bounce"
_VERP = re.compile(r"\b(bounces|unsubscribe)\+([0-9a-f]{32})@", re.IGNORECASE)
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)
_STATUS = re.compile(r"^Status:\s*([245])\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)
_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_ADDRESS_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "Cc")


def _addresses(message: Message) -> str:
    return " ".join(str(value) for name in _ADDRESS_HEADERS for value in message.get_all(name, []))


def is_bounce(message: Message) -> bool:
    report = message.get_content_type() == "multipart/report" and (
        str(message.get_param("report-type", "")).lower() == "delivery-status"
    )
    sender = str(message.get("From", ""))
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return report or bool(_BOUNCE_SENDERS.match(address))


def _parts_text(message: Message) -> str:
    """The delivery-status and quoted-headers parts as text (Status:, Message-ID: lines)."""
    chunks = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "text/rfc822-headers", "text/plain"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                chunks.append(payload.decode(errors="replace"))
            else:
                chunks.extend(str(item) for item in part.get_payload() or [])
        elif kind == "message/rfc822":
            chunks.extend(str(item) for item in part.get_payload() or [])
    return "\n".join(chunks)


def inbound_filter(raw: bytes) -> str | None:
    """Record a bounce or a mailed unsubscribe; returns the ingest outcome, or None to leave
    the message to the normal routing."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    verp = _VERP.findall(_addresses(message))
    unsubscribe = next((token for kind, token in verp if kind.lower() == "unsubscribe"), None)
    if unsubscribe:
        recipient = recipient_find(token=unsubscribe.lower())
        if recipient is not None:
            recipient_unsubscribe(recipient=recipient, how="mail")
        return OUTCOME
    if not is_bounce(message):
        return None
    text = _parts_text(message)
    token = next((token for kind, token in verp if kind.lower() == "bounces"), "")
    ids = [found for found in _MESSAGE_ID.findall(text)]
    recipient = recipient_find(token=token.lower()) if token else None
    for message_id in ids:
        recipient = recipient or recipient_find(message_id=message_id)
    if recipient is None:
        return None  # somebody else's bounce: log it like any mail
    status = _STATUS.search(text)
    kind = BounceKind.SOFT if status and status.group(1) == "4" else BounceKind.HARD
    detail = status.group(0) if status else str(message.get("Subject", ""))[:200]
    bounce_record(recipient=recipient, kind=kind, detail=detail)
    return OUTCOME
