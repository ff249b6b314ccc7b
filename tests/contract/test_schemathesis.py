"""Property-based contract test: schemathesis generates requests for every operation of
/api/v1/openapi.json (valid and invalid ones, POST/PATCH/PUT/DELETE included) and checks that
the API never answers 5xx, answers only status codes the operation documents, and that every
JSON answer matches the schema documented for its status code.

Requests go through the WSGI application in-process, inside the test's database transaction,
as three identities in turn: an administrator's write token, the same administrator's
read-only token and a sales rep's token.

`SCHEMATHESIS_EXAMPLES` (default 6) bounds the examples per operation: the default keeps a run
at about two minutes of CPU per database. `SCHEMATHESIS_FULL=1` adds schemathesis's coverage
cases (boundary values, malformed bodies: thousands of requests, several minutes) for a deeper
run before a release:

    SCHEMATHESIS_EXAMPLES=50 SCHEMATHESIS_FULL=1 .venv/bin/python -m pytest \
        tests/contract/test_schemathesis.py
"""

import os
import zlib

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from cyclecrm.config.wsgi import application
from cyclecrm.core.testing.factories import make_account, make_contact, make_token
from cyclecrm.identity.models import TokenScope

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
FULL = os.environ.get("SCHEMATHESIS_FULL") == "1"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))


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
def identities(admin, rep_a, rep_b) -> list[dict[str, str]]:
    """Who sends the requests, in turn: an administrator's write token, the same
    administrator's read-only token (every write must be refused, documented) and a sales
    rep's token (records of another team must look missing). A few records owned by the two
    reps make ids and lists hit real rows."""
    for owner in (rep_a, rep_b):
        make_contact(owner=owner, account=make_account(owner=owner))
    tokens = [make_token(admin), make_token(admin, TokenScope.READ), make_token(rep_a)]
    return [{"Authorization": f"Bearer {token}"} for token in tokens]


def _identity(case: Case, identities: list[dict[str, str]]) -> dict[str, str]:
    """The same generated request always goes out as the same identity (reproducible runs and
    shrinking), and the three identities share the examples of every operation."""
    key = repr((case.method, case.path_parameters, case.query, case.body)).encode()
    return identities[zlib.crc32(key) % len(identities)]


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate] if FULL else [Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, identities, db):
    case.call_and_validate(headers=_identity(case, identities), checks=CHECKS)
