"""Signed, time-limited tokens of capture forms (django.core.signing with the SECRET_KEY).

- The form token is put in a hidden input of the page we render; a submission carrying a valid
  one is known to come from someone who loaded the page recently, and gets the normal per-IP limit.
- The confirmation token is the link of the double opt-in e-mail. It signs a random nonce that is
  stored on the submission, so a leaked database row alone cannot be turned into a link.
"""

import secrets

from django.core import signing

FORM_TOKEN_MAX_AGE = 24 * 3600
CONFIRM_MAX_AGE = 7 * 24 * 3600
_FORM_SALT = "cyclecrm.leads.capture.form"
_CONFIRM_SALT = "cyclecrm.leads.capture.confirm"
_TOKEN_MAX_LENGTH = 300


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def form_token(public_key: str) -> str:
    return signing.TimestampSigner(salt=_FORM_SALT).sign(public_key)


def form_token_valid(public_key: str, token: object) -> bool:
    if not isinstance(token, str) or not token or len(token) > _TOKEN_MAX_LENGTH:
        return False
    try:
        value = signing.TimestampSigner(salt=_FORM_SALT).unsign(token, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return False
    return value == public_key


def confirmation_nonce() -> str:
    """The random part stored on the submission (32 characters)."""
    return secrets.token_urlsafe(24)


def confirmation_token(nonce: str) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign(nonce)


def nonce_from_confirmation(token: str, *, check_age: bool = True) -> str:
    """The nonce of a confirmation link; raises TokenExpired (older than CONFIRM_MAX_AGE, when
    `check_age`) or TokenInvalid."""
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        raise TokenInvalid
    max_age = CONFIRM_MAX_AGE if check_age else None
    try:
        return signing.TimestampSigner(salt=_CONFIRM_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
