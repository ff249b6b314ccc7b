"""Shared by the contract tests."""

import pytest

# Resources held to documenting every status code they answer: statically (test_openapi) and at
# run time (test_schemathesis). Add a resource once its operations document all their errors.
STRICT_RESOURCES = ("accounts", "contacts", "users", "teams", "tags", "custom-fields", "tokens")


@pytest.fixture(scope="session")
def strict_prefixes() -> tuple[str, ...]:
    return tuple(f"/api/v1/{name}" for name in STRICT_RESOURCES)
