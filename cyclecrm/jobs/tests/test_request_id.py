"""A job runs under the id of the request that enqueued it, on a real queue and consumer: its
history rows and log lines carry that id; a job no request enqueued runs as `job:<task id>`."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from huey.contrib.djhuey import db_task

from cyclecrm.core.context import request_id_var
from cyclecrm.core.logs import JsonFormatter, RequestContextFilter
from cyclecrm.jobs.models import Job
from cyclecrm.jobs.tests.conftest import running_consumer, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
logger = logging.getLogger("cyclecrm.test.job")


@db_task()
def report_request_id(label: str) -> str:
    logger.info("job %s ran", label)
    return request_id_var.get()


@pytest.fixture
def job_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def test_a_job_runs_under_the_request_id_that_enqueued_it(real_queue, job_log):
    token = request_id_var.set("req-from-web")
    try:
        from_request = report_request_id("web")
    finally:
        request_id_var.reset(token)
    periodic_like = report_request_id("no request")

    with running_consumer(real_queue):
        wait_for(lambda: Job.objects.filter(state="finished").count() == 2)

    assert from_request.get() == "req-from-web"
    assert periodic_like.get() == f"job:{periodic_like.id}"
    assert Job.objects.get(task_id=from_request.id).request_id == "req-from-web"
    lines = {
        json.loads(line)["message"]: json.loads(line) for line in job_log.getvalue().splitlines()
    }
    assert lines["job web ran"]["request_id"] == "req-from-web"
    assert lines["job no request ran"]["request_id"] == f"job:{periodic_like.id}"
    assert request_id_var.get() == ""
