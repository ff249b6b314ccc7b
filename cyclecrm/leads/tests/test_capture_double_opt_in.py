"""Double opt-in: the confirmation e-mail, consent only after the link, idempotent confirming,
expired and invalid links."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from cyclecrm.leads.capture.testing import make_capture_form, submit_json
from cyclecrm.leads.capture.tokens import CONFIRM_MAX_AGE, confirmation_token
from cyclecrm.leads.models import FormSubmission, Lead, SubmissionStatus
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

CONSENT = "Send me product news by e-mail."
LINK = re.compile(r"http://testserver(/f/confirm/[^/\s]+/)")


@pytest.fixture
def form():
    return make_capture_form(
        fields=["first_name", "email"],
        required_fields=["email"],
        consent_text=CONSENT,
        double_opt_in=True,
    )


def submit(form, django_capture_on_commit_callbacks, **data):
    payload = {"first_name": "Ada", "email": "ada@example.com", "consent": True, **data}
    with django_capture_on_commit_callbacks(execute=True):
        return submit_json(form, payload)


def confirm_path() -> str:
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_submission_is_pending_and_sends_a_confirmation_link(
    form, django_capture_on_commit_callbacks
):
    # when
    response = submit(form, django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 201
    assert response.json()["status"] == "pending_confirmation"
    lead = Lead.objects.get()
    assert lead.consent_email is False and lead.consent_email_at is None
    assert FormSubmission.objects.get().status == SubmissionStatus.PENDING
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert CONSENT in message.body
    assert confirm_path()


def test_confirming_gives_consent_with_its_time_and_is_idempotent(
    form, django_capture_on_commit_callbacks
):
    # given
    submit(form, django_capture_on_commit_callbacks)
    path = confirm_path()
    # when
    response = Client().get(path)
    # then
    assert response.status_code == 200
    assert b"confirmed" in response.content
    lead = Lead.objects.get()
    assert lead.consent_email is True
    assert lead.consent_email_at is not None
    assert lead.consent_text == CONSENT
    submission = FormSubmission.objects.get()
    assert submission.status == SubmissionStatus.ACCEPTED
    assert submission.confirmed_at is not None
    # and again: nothing changes
    first_time = lead.consent_email_at
    again = Client().get(path)
    assert again.status_code == 200
    assert b"already confirmed" in again.content
    lead.refresh_from_db()
    assert lead.consent_email_at == first_time


def test_an_expired_link_is_refused_with_a_clear_page(form, django_capture_on_commit_callbacks):
    submit(form, django_capture_on_commit_callbacks)
    nonce = FormSubmission.objects.get().confirmation_token
    with mock.patch(
        "django.core.signing.time.time", return_value=time.time() - CONFIRM_MAX_AGE - 60
    ):
        old_token = confirmation_token(nonce)
    response = Client().get(f"/f/confirm/{old_token}/")
    assert response.status_code == 410
    assert b"expired" in response.content
    assert Lead.objects.get().consent_email is False
    assert FormSubmission.objects.get().status == SubmissionStatus.PENDING


@pytest.mark.parametrize("token", ["nonsense", "abc:def:ghi", "x" * 400])
def test_an_invalid_link_is_refused_with_a_clear_page(form, token):
    response = Client().get(f"/f/confirm/{token}/")
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_a_signed_link_to_no_submission_is_invalid(form):
    response = Client().get(f"/f/confirm/{confirmation_token('unknown-nonce')}/")
    assert response.status_code == 404


def test_without_ticking_consent_nothing_is_sent(form, django_capture_on_commit_callbacks):
    response = submit(form, django_capture_on_commit_callbacks, consent=False)
    assert response.json()["status"] == "accepted"
    assert mail.outbox == []
    assert FormSubmission.objects.get().status == SubmissionStatus.ACCEPTED


def test_attaching_to_an_existing_lead_keeps_its_consent_until_confirmed(
    form, django_capture_on_commit_callbacks
):
    lead = make_lead(email="ada@example.com", consent_email=False)
    submit(form, django_capture_on_commit_callbacks)
    lead.refresh_from_db()
    assert lead.consent_email is False
    Client().get(confirm_path())
    lead.refresh_from_db()
    assert lead.consent_email is True and lead.consent_email_at is not None


def test_the_honeypot_mimics_the_pending_answer_and_sends_nothing(
    form, django_capture_on_commit_callbacks
):
    response = submit(form, django_capture_on_commit_callbacks, website_url="spam")
    assert response.json()["status"] == "pending_confirmation"
    assert mail.outbox == []
    assert Lead.objects.count() == 0
