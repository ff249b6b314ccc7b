"""`/healthz` answers 200 when the database and the queue answer, 503 naming the one that does
not."""

import pytest
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from cyclecrm.core.testing.mailservers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_file(tmp_path):
    """A real SQLite queue file, not immediate mode."""
    from huey.storage import SqliteStorage

    previous = HUEY.storage, HUEY._immediate
    HUEY.storage, HUEY._immediate = SqliteStorage("t", filename=str(tmp_path / "q.sqlite3")), False
    yield
    HUEY.storage, HUEY._immediate = previous


@pytest.fixture
def unreachable_redis():
    previous = HUEY.storage, HUEY._immediate
    url = f"redis://127.0.0.1:{free_port()}/0"
    HUEY.storage, HUEY._immediate = RedisStorage("t", url=url), False
    yield
    HUEY.storage, HUEY._immediate = previous


@pytest.mark.usefixtures("queue_file")
def test_healthy_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


@pytest.mark.usefixtures("unreachable_redis")
def test_a_queue_that_does_not_answer_is_503(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "failed", "database": "ok", "queue": "failed"}


@pytest.mark.usefixtures("queue_file")
def test_only_reads(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
