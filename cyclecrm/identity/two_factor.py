"""Two-factor authentication with django-otp: a TOTP app plus single-use backup codes.

A TOTP device counts once it is confirmed with a code from the app. TOTP codes are refused
when older than the last accepted one (replay), backup codes are deleted when used, and both
devices slow down guessing with django-otp's exponential back-off after each wrong code.
"""

from base64 import b32encode

import segno
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.identity.access import access_for, level
from cyclecrm.identity.models import Action, Level, Role, SecurityEventKind, User
from cyclecrm.identity.security_events import security_event_record

BACKUP_CODE_COUNT = 10
INVALID_CODE = "The code is not valid. Use the current code from your app or a backup code."
RESET_FORBIDDEN = "You may not reset other users' two-factor authentication."
RESET_SELF = (
    "Remove your own second factor from your security page: it asks for a current code, so "
    "a stolen session alone cannot switch it off."
)
RESET_SUPERUSER = "Only a superuser may reset a superuser's two-factor authentication."
_REQUIRED_ATTR = "_cyclecrm_2fa_required"


def is_required(user: User) -> bool:
    """Whether one of the user's roles (own or through a team) requires a second factor.

    Read from the user's rights, which every request computes anyway; a superuser's rights do
    not read the roles, so for them the roles are asked, in one query."""
    access = access_for(user)
    if not access.is_superuser:
        return access.requires_two_factor
    cached = getattr(user, _REQUIRED_ATTR, None)
    if cached is None:
        mine = Q(users=user) | Q(teams__members=user)
        cached = Role.objects.filter(mine, requires_two_factor=True).exists()
        setattr(user, _REQUIRED_ATTR, cached)
    return cached


def has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_setup(*, actor: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (a new secret when there is none yet)."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as the base32 text authenticator apps accept for manual entry."""
    return b32encode(device.bin_key).decode()


def totp_qr_svg(device: TOTPDevice) -> str:
    """The provisioning URI as an inline SVG QR code (no image service, no script)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


def totp_confirm(*, actor: User, token: str, request: HttpRequest) -> list[str]:
    """Confirm the device being enrolled with a code from the app; returns new backup codes.

    The session counts as verified from then on. A previous device is replaced."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None or not device.verify_token(_clean(token)):
        raise ValidationFailed(fields={"token": [INVALID_CODE]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_backup_codes(actor)
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_ENROLLED, user=actor)
    otp_login(request, device)
    return codes


def backup_codes_regenerate(*, actor: User) -> list[str]:
    """Replace the user's backup codes (the old ones stop working)."""
    if not has_device(actor):
        raise ValidationFailed(fields={"token": ["Set up an authenticator app first."]})
    with transaction.atomic():
        codes = _new_backup_codes(actor)
        security_event_record(kind=SecurityEventKind.BACKUP_CODES_GENERATED, user=actor)
    return codes


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_verify(*, user: User, token: str, request: HttpRequest) -> None:
    """Check a code from the app, else a backup code; mark the session verified."""
    device = _matching_device(user, _clean(token))
    if device is None:
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_FAILED, user=user)
        raise ValidationFailed(fields={"token": [INVALID_CODE]})
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_PASSED,
        user=user,
        detail={"device": "backup_code" if isinstance(device, StaticDevice) else "totp"},
    )
    otp_login(request, device)


def two_factor_remove(*, actor: User, token: str) -> None:
    """Remove the app and the backup codes; takes a current code, so a stolen session alone
    cannot switch the second factor off."""
    if _matching_device(actor, _clean(token)) is None:
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_FAILED, user=actor)
        raise ValidationFailed(fields={"token": [INVALID_CODE]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        StaticDevice.objects.filter(user=actor).delete()
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_REMOVED, user=actor)


def two_factor_reset(*, actor: User, user: User) -> int:
    """An administrator removes another user's app and backup codes (a lost phone); returns
    how many devices went. Their sessions lose the verified state at their next request (the
    device they verified with is gone), and a user whose role requires a second factor must
    enrol again before using anything. Takes the right to edit users, like an unlock."""
    if level(actor, "user", Action.EDIT) != Level.ALL:
        raise Forbidden(RESET_FORBIDDEN)
    if user.pk == actor.pk:
        raise Forbidden(RESET_SELF)
    if user.is_superuser and not actor.is_superuser:
        raise Forbidden(RESET_SUPERUSER)
    with transaction.atomic():
        devices = 0
        for model in (TOTPDevice, StaticDevice):
            mine = model.objects.filter(user=user)
            devices += mine.count()
            mine.delete()
        security_event_record(
            kind=SecurityEventKind.TWO_FACTOR_REMOVED,
            user=user,
            actor=actor,
            detail={"via": "admin_reset", "devices": devices},
        )
    return devices


def _matching_device(user: User, token: str) -> TOTPDevice | StaticDevice | None:
    if not token:
        return None
    devices = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    for device in devices:
        with transaction.atomic():
            # Lock the row: two requests with one code must not both pass (replay).
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(token):
                return locked
    return None


def _clean(token: str) -> str:
    return "".join((token or "").split())[:16]
