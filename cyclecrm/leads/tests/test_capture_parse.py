"""Property tests of submission reading: whatever arrives, the answer is a success or a named
validation error, never a server error."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.leads.capture.fields import ALLOWED_FIELDS, UTM_FIELDS
from cyclecrm.leads.capture.parse import submission_parse
from cyclecrm.leads.capture.testing import make_capture_form
from cyclecrm.leads.models import CaptureForm

KEYS = st.one_of(
    st.sampled_from([*ALLOWED_FIELDS, *UTM_FIELDS, "consent", "form_token"]),
    st.text(max_size=30),
)
SCALARS = st.one_of(
    st.text(max_size=300),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(), SCALARS))
PAYLOADS = st.dictionaries(KEYS, VALUES, max_size=12)

# Every lead field on the form, nothing required: the widest surface for the parser.
WIDE = CaptureForm(
    pk=1,
    name="All fields",
    public_key="wide",
    fields=list(ALLOWED_FIELDS),
    required_fields=[],
    consent_text="Agree",
)


@given(PAYLOADS)
@settings(max_examples=300, deadline=None)
def test_parser_accepts_or_names_the_fields_in_error(payload):
    try:
        parsed = submission_parse(WIDE, payload)
    except ValidationFailed as exc:
        assert exc.fields
        assert all(isinstance(reasons, list) and reasons for reasons in exc.fields.values())
        return
    assert set(parsed.values) <= {*ALLOWED_FIELDS, "budget_currency"}
    json.dumps(parsed.stored())


@given(st.dictionaries(st.sampled_from(ALLOWED_FIELDS), st.text(max_size=60), max_size=14))
@settings(max_examples=200, deadline=None)
def test_text_values_in_known_fields_never_fail_unexpectedly(payload):
    try:
        submission_parse(WIDE, payload)
    except ValidationFailed as exc:
        assert set(exc.fields) <= {*ALLOWED_FIELDS, "non_field"}


@pytest.mark.django_db
@given(PAYLOADS)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_endpoint_never_answers_a_server_error(payload):
    form = CaptureForm.objects.filter(public_key="fuzz").first() or make_capture_form(
        public_key="fuzz",
        fields=list(ALLOWED_FIELDS),
        required_fields=[],
        consent_text="Agree",
        max_per_ip_per_hour=10_000,
        max_per_hour=1_000_000,
    )
    response = Client().post(
        f"/api/v1/forms/{form.public_key}/submit",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert response.status_code in (201, 422), response.content
    if response.status_code == 422:
        assert response.json()["error"]["fields"]
