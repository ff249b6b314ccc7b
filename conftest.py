"""Root pytest configuration: shared fixtures live in cyclecrm/core/testing/fixtures.py."""

pytest_plugins = ["cyclecrm.core.testing.fixtures"]
