"""Fixtures for nurture sequences: a sequence builder, a consenting contact, the real SMTP server
and an engine runner that executes on-commit callbacks (the e-mail job) like production."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.identity.models import User
from cyclecrm.integrations.tests.conftest import huey_immediate, smtp_server
from cyclecrm.nurture import engine, services
from cyclecrm.nurture.models import Sequence

__all__ = ["huey_immediate", "smtp_server"]


@pytest.fixture
def build(marketer) -> Callable[..., Sequence]:
    """`build([(type, config), ...], **fields)`: an active sequence owned by the marketer."""

    def make(steps: list[tuple[str, dict[str, Any]]], actor: User | None = None, **fields):
        actor = actor or marketer
        sequence = services.sequence_create(actor=actor, data={"name": "Welcome", **fields})
        for step_type, config in steps:
            services.step_add(
                actor=actor, sequence=sequence, data={"type": step_type, "config": config}
            )
        sequence.refresh_from_db()
        if steps:
            sequence = services.sequence_update(
                actor=actor, sequence=sequence, data={"status": "active"}
            )
        return sequence

    return make


@pytest.fixture
def ada(marketer, rep_a) -> Contact:
    return make_contact(rep_a, first_name="Ada", email="ada@example.com", consent_email=True)


@pytest.fixture
def tick(django_capture_on_commit_callbacks) -> Callable[..., int]:
    """`tick(at=None)`: one run of the per-minute job at `at` (default now)."""

    def run(at: dt.datetime | None = None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return engine.run_due(now=at or timezone.now())

    return run
