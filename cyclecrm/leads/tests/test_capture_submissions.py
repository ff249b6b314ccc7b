"""Receiving submissions through the JSON endpoint: lead creation, dedupe, honeypot, rate limits,
validation. (The rendered page shares the service; its own behaviour is in test_capture_page.)"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cyclecrm.core.models import HistoryEntry
from cyclecrm.leads.capture.ratelimit import REASON_FORM_LIMIT, REASON_IP_LIMIT, ip_fingerprint
from cyclecrm.leads.capture.services import REASON_HONEYPOT
from cyclecrm.leads.capture.testing import make_capture_form, submit_json
from cyclecrm.leads.capture.tokens import form_token
from cyclecrm.leads.models import FormSubmission, Lead, LeadSource, LeadStatus, SubmissionStatus
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

CONSENT = "I agree to receive the newsletter."


@pytest.fixture
def form():
    return make_capture_form(
        fields=["first_name", "last_name", "email", "phone", "company", "country", "employees"],
        required_fields=["email", "last_name"],
        consent_text=CONSENT,
        source=LeadSource.CAMPAIGN,
        campaign_name="Spring launch",
        max_per_ip_per_hour=50,
    )


def valid(**overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada@Example.com",
        "phone": "+44 20 7946 0958",
        "company": "Analytical Ltd",
        "country": "United Kingdom",
        "consent": True,
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_valid_submission_creates_one_lead_with_consent_utm_and_form(form):
    # when
    before = timezone.now()
    response = submit_json(form, valid())
    # then
    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    assert response["Access-Control-Allow-Origin"] == "*"
    lead = Lead.objects.get()
    assert (lead.email, lead.phone, lead.country) == ("ada@example.com", "+442079460958", "GB")
    assert lead.consent_email is True
    assert lead.consent_email_at is not None and lead.consent_email_at >= before
    assert lead.consent_text == CONSENT
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == (
        "newsletter",
        "email",
        "spring",
    )
    assert lead.capture_form == form
    assert (lead.source, lead.campaign_name) == (LeadSource.CAMPAIGN, "Spring launch")
    submission = FormSubmission.objects.get()
    assert (submission.status, submission.lead) == (SubmissionStatus.ACCEPTED, lead)
    assert submission.data["values"]["email"] == "ada@example.com"


def test_without_ticking_consent_no_consent_is_recorded(form):
    submit_json(form, valid(consent=False))
    lead = Lead.objects.get()
    assert lead.consent_email is False and lead.consent_email_at is None and not lead.consent_text


def test_ip_address_is_stored_only_as_a_keyed_hash(form):
    submit_json(form, valid(), ip="198.51.100.23")
    row = FormSubmission.objects.get()
    assert row.ip_hash == ip_fingerprint("198.51.100.23")
    assert "198.51.100.23" not in str(row.data) and len(row.ip_hash) == 64


def test_second_submission_with_same_email_attaches_to_the_open_lead(form):
    # given
    submit_json(form, valid(consent=False, phone=None, utm_campaign="spring"))
    lead = Lead.objects.get()
    # when: same person, different case, new details and campaign, changed name
    response = submit_json(
        form,
        valid(email="ADA@example.com", first_name="Augusta", phone="+44 20 7946 0000",
              utm_campaign="summer"),
    )  # fmt: skip
    # then
    assert response.status_code == 201
    assert Lead.objects.count() == 1
    lead.refresh_from_db()
    assert lead.first_name == "Ada"  # filled fields are never overwritten
    assert lead.phone == "+442079460000"  # empty ones are filled
    assert lead.utm_campaign == "summer"  # the latest campaign touch
    assert lead.consent_email is True and lead.consent_email_at is not None
    assert list(FormSubmission.objects.values_list("lead", flat=True)) == [lead.pk, lead.pk]
    notes = HistoryEntry.objects.filter(record_type="lead", object_id=lead.pk)
    assert any("form_submission" in entry.changes for entry in notes)
    assert any("phone" in entry.changes for entry in notes)


@pytest.mark.parametrize("status", [LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED])
def test_a_lead_no_longer_open_gets_a_new_lead(form, status):
    old = make_lead(email="ada@example.com", status=status)
    submit_json(form, valid())
    assert Lead.objects.count() == 2
    assert FormSubmission.objects.get().lead != old


def test_a_converted_lead_gets_a_new_lead(form):
    old = make_lead(email="ada@example.com", converted_at=timezone.now())
    submit_json(form, valid())
    assert Lead.objects.exclude(pk=old.pk).count() == 1


def test_contacted_lead_is_attached(form):
    old = make_lead(email="ada@example.com", status=LeadStatus.CONTACTED, phone="")
    submit_json(form, valid())
    assert Lead.objects.count() == 1
    old.refresh_from_db()
    assert old.phone == "+442079460958"


def test_honeypot_creates_nothing_but_answers_like_a_success(form):
    response = submit_json(form, valid(website_url="http://spam.example"))
    assert response.status_code == 201
    assert response.json()["status"] == "accepted"
    assert Lead.objects.count() == 0
    row = FormSubmission.objects.get()
    assert (row.status, row.reason, row.lead) == (SubmissionStatus.REJECTED, REASON_HONEYPOT, None)
    assert row.data["values"]["email"] == "Ada@Example.com"


def test_honeypot_with_otherwise_invalid_input_still_looks_successful(form):
    response = submit_json(form, {"website_url": "x", "email": "nope", "evil": [1]})
    assert response.status_code == 201
    assert Lead.objects.count() == 0


def test_per_ip_limit_answers_429_with_retry_after_and_creates_nothing(form):
    # given: without a form token (JSON) the limit is half of max_per_ip_per_hour
    form.max_per_ip_per_hour = 4
    form.save()
    for n in range(2):
        assert submit_json(form, valid(email=f"p{n}@example.com")).status_code == 201
    # when
    response = submit_json(form, valid(email="third@example.com"))
    # then
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 3500 <= int(response["Retry-After"]) <= 3600
    assert not Lead.objects.filter(email="third@example.com").exists()
    rejected = FormSubmission.objects.get(status=SubmissionStatus.REJECTED)
    assert rejected.reason == REASON_IP_LIMIT and rejected.lead is None
    # another address is not affected
    assert submit_json(form, valid(email="other@example.com"), ip="192.0.2.1").status_code == 201


def test_a_valid_form_token_gets_the_full_per_ip_limit(form):
    form.max_per_ip_per_hour = 2
    form.save()
    token = form_token(form.public_key)
    assert submit_json(form, valid(email="a@example.com", form_token=token)).status_code == 201
    assert submit_json(form, valid(email="b@example.com")).status_code == 429
    assert submit_json(form, valid(email="c@example.com", form_token=token)).status_code == 201
    assert submit_json(form, valid(email="d@example.com", form_token=token)).status_code == 429
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert submit_json(form, valid(email="e@example.com", form_token=forged)).status_code == 429


def test_retry_after_follows_the_oldest_counted_submission(form):
    form.max_per_ip_per_hour = 2  # tokenless limit 1
    form.save()
    submit_json(form, valid())
    FormSubmission.objects.update(at=timezone.now() - dt.timedelta(minutes=50))
    response = submit_json(form, valid(email="again@example.com"))
    assert response.status_code == 429
    assert 500 <= int(response["Retry-After"]) <= 600
    FormSubmission.objects.filter(status=SubmissionStatus.ACCEPTED).update(
        at=timezone.now() - dt.timedelta(minutes=61)
    )
    assert submit_json(form, valid(email="later@example.com")).status_code == 201


def test_per_form_limit_answers_429_and_creates_nothing(form):
    form.max_per_hour = 2
    form.save()
    for n in range(2):
        ip = f"192.0.2.{n + 10}"
        assert submit_json(form, valid(email=f"f{n}@example.com"), ip=ip).status_code == 201
    response = submit_json(form, valid(email="late@example.com"), ip="192.0.2.99")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not Lead.objects.filter(email="late@example.com").exists()
    assert FormSubmission.objects.get(status=SubmissionStatus.REJECTED).reason == REASON_FORM_LIMIT


def test_rejected_rows_do_not_use_up_the_form_limit(form):
    form.max_per_hour = 1
    form.save()
    submit_json(form, valid(website_url="bot"), ip="192.0.2.1")
    assert submit_json(form, valid(), ip="192.0.2.2").status_code == 201


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (valid(email="not-an-address"), "email"),
        (valid(country="Atlantis"), "country"),
        (valid(phone="12"), "phone"),
        (valid(last_name=None), "last_name"),
        (valid(email="   "), "email"),
        (valid(title="CTO"), "title"),  # a lead field this form does not ask for
        (valid(favourite_colour="blue"), "favourite_colour"),
        (valid(first_name="x" * 101), "first_name"),
        (valid(first_name=["Ada"]), "first_name"),
        (valid(company={"name": "x"}), "company"),
        (valid(first_name="Ada\x00"), "first_name"),
        (valid(employees="many"), "employees"),
        (valid(consent="maybe"), "consent"),
        (valid(utm_source="u" * 201), "utm_source"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_stores_nothing(form, data, field):
    response = submit_json(form, data)
    assert response.status_code == 422, response.content
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert field in body["fields"]
    assert Lead.objects.count() == 0
    assert FormSubmission.objects.count() == 0


def test_consent_is_an_unknown_field_on_a_form_without_consent_text():
    form = make_capture_form(consent_text="")
    response = submit_json(form, {"email": "a@example.com", "consent": True})
    assert response.status_code == 422
    assert "consent" in response.json()["error"]["fields"]


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_422(form, body):
    response = Client().post(
        f"/api/v1/forms/{form.public_key}/submit", data=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_unknown_and_inactive_forms_are_404(form):
    assert submit_json("no-such-key", valid()).status_code == 404
    form.is_active = False
    form.save()
    response = submit_json(form, valid())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Lead.objects.count() == 0 and FormSubmission.objects.count() == 0


def test_cors_preflight_is_answered(form):
    response = Client().options(f"/api/v1/forms/{form.public_key}/submit")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in response["Access-Control-Allow-Headers"]


def test_a_form_with_only_optional_naming_fields_needs_one_of_them():
    form = make_capture_form(fields=["first_name", "company", "description"], required_fields=[])
    response = submit_json(form, {"description": "Hello"})
    assert response.status_code == 422
    assert "first_name" in response.json()["error"]["fields"]
