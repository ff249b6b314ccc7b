"""Property-based contract test: schemathesis generates requests for every operation of
/api/v1/openapi.json (valid and invalid ones) and checks that the API never answers 5xx and that
every JSON answer matches the schema documented for its status code.

Resources listed in STRICT_PREFIXES are also held to answering only documented status codes;
add a resource there once its operations document every error they return.

Requests go through the WSGI application in-process, as an administrator, inside the test's
database transaction. Few examples per operation keep the run around a minute on two cores.
"""

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished
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
STRICT_PREFIXES = tuple(
    f"/api/v1/{name}"
    for name in ("accounts", "contacts", "users", "teams", "tags", "custom-fields", "tokens")
)


@pytest.fixture(autouse=True)
def _fast_setup(settings):
    """Fixture users are created for every operation; a cheap hasher keeps that fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Django closes the connection when a WSGI request ends; inside a test transaction the
    connection must survive (Django's test client does the same)."""
    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(admin, rep_a) -> dict[str, str]:
    """An admin's token, and a few records so that ids and lists hit real rows."""
    account = make_account(owner=rep_a)
    make_contact(owner=rep_a, account=account)
    return {"Authorization": f"Bearer {make_token(admin)}"}


@schema.parametrize()
@hypothesis.settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, admin_headers, db):
    strict = case.path.startswith(STRICT_PREFIXES)
    checks = [*CHECKS, status_code_conformance] if strict else CHECKS
    case.call_and_validate(headers=admin_headers, checks=checks)
