import os
from collections.abc import Iterator

import pytest

from cyclecrm.core.benchsuite.target import Target
from cyclecrm.core.benchsuite.testing import small_target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the served data set belong to `make bench-smoke`, not `make test`."""
    for item in items:
        if "bench_target" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.bench)


@pytest.fixture(scope="session")
def bench_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A 2,000-contact benchmark data set served by gunicorn, on the database engine of the
    test run (PostgreSQL when DATABASE_URL names one)."""
    url = os.environ.get("DATABASE_URL", "")
    with small_target(
        tmp_path_factory.mktemp("bench-target"),
        contacts=2000,
        database_url=url if url.startswith("postgres") else "",
    ) as target:
        yield target
