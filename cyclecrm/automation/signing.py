"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, sent as
`X-CycleCRM-Signature: t=<unix seconds>,v1=<hex digest>` (the Stripe scheme). Receivers
recompute the digest with their secret, compare in constant time and refuse old timestamps;
see docs/automation.md for a verification snippet."""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-CycleCRM-Signature"
EVENT_HEADER = "X-CycleCRM-Event"
EVENT_ID_HEADER = "X-CycleCRM-Event-Id"
DELIVERY_HEADER = "X-CycleCRM-Delivery"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """The check a receiver makes (used by our tests; the docs show the same in plain Python)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
