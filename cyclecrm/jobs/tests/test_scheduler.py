"""Several schedulers on one Redis enqueue each minute's periodic jobs once between them."""

import datetime as dt
import threading
import uuid

import pytest
from huey import RedisHuey, SqliteHuey, crontab

from cyclecrm.core.testing.mailservers import free_port
from cyclecrm.jobs.scheduler import ClusterScheduler, claim_minute

MINUTE = dt.datetime(2026, 11, 25, 7, 5, 12)


def _huey_with_a_periodic_job(huey):
    @huey.periodic_task(crontab(minute="*"))
    def every_minute() -> None:
        pass

    return huey


def _scheduler(huey) -> ClusterScheduler:
    return ClusterScheduler(huey, threading.Event(), interval=1, periodic=True)


@pytest.fixture
def redis_huey(redis_server):
    """A queue of its own name, so no claim of an earlier test is seen."""
    name = f"scheduler-test-{uuid.uuid4().hex}"
    return _huey_with_a_periodic_job(RedisHuey(name, url=redis_server.url))


def test_two_schedulers_enqueue_a_minute_once(redis_huey):
    # given: two workers' schedulers on one Redis
    first, second = _scheduler(redis_huey), _scheduler(redis_huey)

    # when: both reach the same minute (at different seconds), then the next minute
    first.enqueue_periodic_tasks(MINUTE)
    second.enqueue_periodic_tasks(MINUTE.replace(second=48))
    second.enqueue_periodic_tasks(MINUTE + dt.timedelta(minutes=1))
    first.enqueue_periodic_tasks(MINUTE + dt.timedelta(minutes=1, seconds=3))

    # then
    assert redis_huey.pending_count() == 2


def test_a_claim_is_won_once_per_minute(redis_huey):
    assert claim_minute(redis_huey, MINUTE) is True
    assert claim_minute(redis_huey, MINUTE.replace(second=59)) is False
    assert claim_minute(redis_huey, MINUTE + dt.timedelta(minutes=1)) is True


def test_the_sqlite_queue_enqueues_as_huey_does(tmp_path):
    huey = _huey_with_a_periodic_job(SqliteHuey("t", filename=str(tmp_path / "q.sqlite3")))

    _scheduler(huey).enqueue_periodic_tasks(MINUTE)

    assert huey.pending_count() == 1


def test_an_unreachable_redis_skips_the_minute_without_stopping_the_scheduler(caplog):
    url = f"redis://127.0.0.1:{free_port()}/0"
    huey = _huey_with_a_periodic_job(RedisHuey("unreachable", url=url))

    _scheduler(huey).enqueue_periodic_tasks(MINUTE)  # logs, does not raise

    assert "Could not claim the periodic jobs of 07:05." in caplog.text
