"""Survey fixtures; the real SMTP server and the immediate Huey come from the integrations suite."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cyclecrm.feedback.models import Survey, SurveyInvitation, SurveyKind
from cyclecrm.feedback.tokens import token_new
from cyclecrm.integrations.tests.conftest import (  # noqa: F401 (fixtures)
    attachments_in_tmp,
    huey_immediate,
    smtp_server,
)


def make_survey(owner: Any = None, kind: str = SurveyKind.NPS, **fields: Any) -> Survey:
    fields.setdefault("name", f"{kind.upper()} survey")
    fields.setdefault("question", "How likely are you to recommend us?")
    fields.setdefault("email_subject", "A quick question")
    return Survey.objects.create(kind=kind, owner=owner, created_by=owner, **fields)


def make_invitation(
    survey: Survey, contact: Any, *, case: Any = None, days: int = 14
) -> tuple[SurveyInvitation, str]:
    token, digest = token_new()
    now = timezone.now()
    invitation = SurveyInvitation.objects.create(
        survey=survey,
        contact=contact,
        case=case,
        token_hash=digest,
        sent_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    return invitation, token


@pytest.fixture
def nps(admin) -> Survey:
    return make_survey(admin, SurveyKind.NPS)


@pytest.fixture
def csat(admin) -> Survey:
    return make_survey(admin, SurveyKind.CSAT, question="How satisfied are you?")
