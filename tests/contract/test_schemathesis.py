"""Property-based contract test: schemathesis generates requests for every operation of
/api/v1/openapi.json (valid and invalid ones) and checks that the API never answers 5xx and that
every JSON answer matches the schema documented for its status code.

Resources listed in STRICT_RESOURCES (tests/contract/conftest.py) are also held to answering
only documented status codes.

Requests go through the WSGI application in-process, as an administrator, inside the test's
database transaction. By default only Hypothesis's generation phase runs, with few examples, so
the run stays well under a minute of CPU. `SCHEMATHESIS_FULL=1` adds schemathesis's coverage
cases (boundary values, malformed bodies: thousands of requests, several minutes) for a deeper
run before a release:

    SCHEMATHESIS_FULL=1 .venv/bin/python -m pytest tests/contract/test_schemathesis.py
"""

import os

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from cyclecrm.config.wsgi import application
from cyclecrm.core.testing.factories import make_account, make_contact, make_token

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [not_a_server_error, response_schema_conformance]
FULL = os.environ.get("SCHEMATHESIS_FULL") == "1"


@pytest.fixture(autouse=True)
def _fast_setup(settings):
    """Fixture users are created for every operation; a cheap hasher keeps that fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Django closes the connection when a WSGI request starts and ends; inside a test
    transaction the connection must survive (Django's test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_headers(admin, rep_a) -> dict[str, str]:
    """An admin's token, and a few records so that ids and lists hit real rows."""
    account = make_account(owner=rep_a)
    make_contact(owner=rep_a, account=account)
    return {"Authorization": f"Bearer {make_token(admin)}"}


@schema.parametrize()
@hypothesis.settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate] if FULL else [Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, admin_headers, strict_prefixes, db):
    strict = case.path.startswith(strict_prefixes)
    checks = [*CHECKS, status_code_conformance] if strict else CHECKS
    case.call_and_validate(headers=admin_headers, checks=checks)
