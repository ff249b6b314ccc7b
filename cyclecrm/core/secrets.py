"""Secrets at rest (mailbox passwords, webhook signing secrets): Fernet tokens (AES-128-CBC +
HMAC-SHA256, authenticated), ADR 0008.

Each kind of secret has its own key: the dedicated setting when set (a Fernet key), otherwise
32 bytes derived from SECRET_KEY with HKDF-SHA256 and a label naming the kind, so a stolen
database alone reveals nothing and one derived key is never used for two kinds.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored token cannot be decrypted: the key changed, or the token was altered."""


def _fernet(*, label: bytes, key: str) -> Fernet:
    if key:
        return Fernet(key.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def secret_encrypt(plain: str, *, label: bytes, key: str = "") -> str:
    return _fernet(label=label, key=key).encrypt(plain.encode()).decode()


def secret_decrypt(token: str, *, label: bytes, key: str = "") -> str:
    try:
        return _fernet(label=label, key=key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable from exc
