"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, sent as
`X-CycleCRM-Signature: t=<unix seconds>,v1=<hex digest>` (the Stripe scheme). Receivers
recompute the digest with their secret, compare in constant time and refuse old timestamps;
see docs/automation.md for a verification snippet.

The signing secret must be known in clear to sign, so it cannot be hashed: it is stored
encrypted (`seal`/`unseal`, cyclecrm/core/secrets.py) with `CYCLECRM_WEBHOOK_SECRET_KEY` or a key
derived from SECRET_KEY for webhooks only (ADR 0008)."""

import hashlib
import hmac
import secrets

from django.conf import settings

from cyclecrm.core.secrets import secret_decrypt, secret_encrypt

SIGNATURE_HEADER = "X-CycleCRM-Signature"
EVENT_HEADER = "X-CycleCRM-Event"
EVENT_ID_HEADER = "X-CycleCRM-Event-Id"
DELIVERY_HEADER = "X-CycleCRM-Delivery"
SECRET_PREFIX = "whsec_"
_SEAL_LABEL = b"cyclecrm webhook secrets v1"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def seal(secret: str) -> str:
    return secret_encrypt(
        secret, label=_SEAL_LABEL, key=settings.CYCLECRM.get("WEBHOOK_SECRET_KEY", "")
    )


def unseal(token: str) -> str:
    """The secret in clear; SecretUnreadable when the key changed since it was sealed."""
    return secret_decrypt(
        token, label=_SEAL_LABEL, key=settings.CYCLECRM.get("WEBHOOK_SECRET_KEY", "")
    )


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
