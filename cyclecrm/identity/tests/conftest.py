"""Fixtures of the identity tests: the clock the TOTP devices see."""

from types import SimpleNamespace

import pytest
from django_otp.plugins.otp_totp import models as totp_models

START = 1_800_000_000.0


class Clock:
    """The time the TOTP device sees; tests step it by whole 30-second periods."""

    def __init__(self) -> None:
        self.now = START

    def step(self, periods: int = 1) -> None:
        self.now += 30 * periods


@pytest.fixture
def clock(monkeypatch, settings) -> Clock:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the throttle test turns them back on
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    clock = Clock()
    monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=lambda: clock.now))
    return clock
