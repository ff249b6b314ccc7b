"""Tracking tokens and the public URLs that carry them.

Each recipient has a random 128-bit token (`new_token`). Public URLs carry it signed with
Django's signing (HMAC-SHA256 over SECRET_KEY, salted per purpose), so a URL cannot be guessed,
enumerated or turned into another (a click URL names its link inside the signed value: changing
the link id breaks the signature). A bad signature is a 404, never a redirect anywhere."""

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALTS = {
    "open": "cyclecrm.mailings.open",
    "click": "cyclecrm.mailings.click",
    "unsubscribe": "cyclecrm.mailings.unsubscribe",
}


def new_token() -> str:
    return secrets.token_hex(16)


def sign(purpose: str, value: str) -> str:
    return signing.Signer(salt=_SALTS[purpose]).sign(value)


def unsign(purpose: str, signed: str) -> str | None:
    """The value inside `signed`, or None when it was not signed by us for `purpose`."""
    try:
        return signing.Signer(salt=_SALTS[purpose]).unsign(signed)
    except signing.BadSignature:
        return None


def base_url() -> str:
    return settings.CYCLECRM["BASE_URL"]


def open_url(token: str) -> str:
    return base_url() + reverse("mailing_track_open", args=[sign("open", token)])


def click_url(token: str, link_id: int) -> str:
    return base_url() + reverse("mailing_track_click", args=[sign("click", f"{token}.{link_id}")])


def unsubscribe_url(token: str) -> str:
    return base_url() + reverse("mailing_unsubscribe", args=[sign("unsubscribe", token)])


def parse_click(signed: str) -> tuple[str, int] | None:
    value = unsign("click", signed)
    if value is None:
        return None
    token, _, link = value.partition(".")
    return (token, int(link)) if link.isdigit() else None


def bounce_domain() -> str:
    return settings.CYCLECRM["MAILING_BOUNCE_DOMAIN"] or (
        settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    )


def bounce_address(token: str) -> str:
    """The envelope sender (VERP): a bounce comes back addressed to it, naming the recipient."""
    return f"bounces+{token}@{bounce_domain()}"


def unsubscribe_mailto(token: str) -> str:
    return f"unsubscribe+{token}@{bounce_domain()}"
