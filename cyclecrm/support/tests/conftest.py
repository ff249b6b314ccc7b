import pytest

from cyclecrm.support.models import SlaPolicy
from cyclecrm.support.tests.factories import make_policy


@pytest.fixture
def policies(db) -> dict[str, SlaPolicy]:
    """Default policies: normal 60/480 business minutes, urgent 30/120 (escalating to urgent
    is pointless, so `normal` escalates to `high`)."""
    return {
        "normal": make_policy("normal", escalate_to_priority="high"),
        "high": make_policy("high", first_response_minutes=30, resolution_minutes=240),
        "urgent": make_policy("urgent", first_response_minutes=15, resolution_minutes=120),
    }
