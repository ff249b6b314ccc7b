"""API token secrets: generated, shown once, stored as a SHA-256 digest.

A token reads `ccrm_<prefix>_<secret>`; the prefix finds the row, the digest of the whole token
must match. SHA-256 (not a slow hash) is right here because the secret has 256 bits of entropy.
"""

import hashlib
import hmac
import secrets

PREFIX = "ccrm"


def token_generate() -> tuple[str, str, str]:
    """Returns (token, prefix, digest)."""
    prefix = secrets.token_hex(6)
    token = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    return parts[1]


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
