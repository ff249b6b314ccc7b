import pytest

from cyclecrm.pipeline.tests.factories import make_pipeline


@pytest.fixture
def pipeline(db):
    """The default pipeline with the standard stages."""
    return make_pipeline("Sales", is_default=True)
