import datetime as dt

import pytest

from cyclecrm.pipeline.tests.factories import make_pipeline


@pytest.fixture
def pipeline(db):
    """The default pipeline with the standard stages."""
    return make_pipeline("Sales", is_default=True)


@pytest.fixture
def t0() -> dt.datetime:
    """A fixed moment the test timelines count from."""
    return dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
