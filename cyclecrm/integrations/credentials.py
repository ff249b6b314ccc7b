"""Mailbox passwords at rest: Fernet (AES-128-CBC + HMAC-SHA256) tokens.

The key is `CYCLECRM_MAILBOX_SECRET_KEY` (a Fernet key) when set, otherwise derived from
SECRET_KEY with HKDF, so a stolen database alone does not reveal the passwords (ADR 8).
Rotating SECRET_KEY without setting the separate key makes stored passwords unreadable: the
mailbox then reports the error and an admin enters the password again.
"""

import os
import re

from django.conf import settings

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.secrets import SecretUnreadable, secret_decrypt, secret_encrypt

_HKDF_INFO = b"cyclecrm mailbox passwords v1"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class CredentialError(Exception):
    """The password of a mailbox cannot be obtained (missing variable, wrong key)."""


def _key() -> str:
    return settings.CYCLECRM.get("MAILBOX_SECRET_KEY", "")


def encrypt_password(password: str) -> str:
    return secret_encrypt(password, label=_HKDF_INFO, key=_key())


def decrypt_password(token: str) -> str:
    try:
        return secret_decrypt(token, label=_HKDF_INFO, key=_key())
    except SecretUnreadable as exc:
        raise CredentialError(
            "The stored password cannot be decrypted (was SECRET_KEY or "
            "CYCLECRM_MAILBOX_SECRET_KEY changed?); enter the password again."
        ) from exc


def mailbox_password(*, password_encrypted: str, password_env: str) -> str:
    """The password to log in with: the named environment variable wins over the stored one."""
    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            raise CredentialError(f"The environment variable {password_env} is not set.")
        return value
    if not password_encrypted:
        raise CredentialError("The mailbox has no password.")
    return decrypt_password(password_encrypted)


def check_env_name(name: str) -> str:
    name = name.strip()
    if name and not _ENV_NAME.fullmatch(name):
        raise ValidationFailed(
            fields={"password_env": ["Letters, digits and _ only, not starting with a digit."]}
        )
    return name
