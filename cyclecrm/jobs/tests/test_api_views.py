"""The job API and page: who may see and retry jobs, filters, counts, keyset pages."""

import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.jobs.models import Job, JobState
from cyclecrm.jobs.tests.conftest import make_job

pytestmark = pytest.mark.django_db
SEND = "cyclecrm.integrations.tasks.send_email"
POLL = "cyclecrm.integrations.tasks.poll_mailboxes"


@pytest.fixture
def jobs() -> dict[str, Job]:
    now = timezone.now()
    return {
        "sent": make_job(state=JobState.FINISHED, enqueued_at=now - dt.timedelta(minutes=3)),
        "failed": make_job(
            state=JobState.FAILED,
            error_type="SMTPRecipientsRefused",
            error_message="550 no such user",
            error_traceback="Traceback ... smtplib",
            enqueued_at=now - dt.timedelta(minutes=2),
        ),
        "poll": make_job(
            task_name=POLL, periodic=True, payload={"args": [], "kwargs": {}}, enqueued_at=now
        ),
    }


def test_admins_and_managers_list_jobs_newest_first(api_client, admin, manager, jobs):
    for user in (admin, manager):
        body = api_client(user).get("/api/v1/jobs").json()
        assert [item["id"] for item in body["items"]] == [
            jobs["poll"].pk,
            jobs["failed"].pk,
            jobs["sent"].pk,
        ]
    assert "error_traceback" not in body["items"][0]


def test_other_roles_see_no_jobs_and_cannot_retry(api_client, rep_a, support_agent, jobs):
    for user in (rep_a, support_agent):
        client = api_client(user)
        assert client.get("/api/v1/jobs").json()["items"] == []
        assert client.get(f"/api/v1/jobs/{jobs['failed'].pk}").status_code == 404
        assert client.post(f"/api/v1/jobs/{jobs['failed'].pk}/retry").status_code == 404


def test_filters_by_state_and_task(api_client, admin, jobs):
    client = api_client(admin)

    failed = client.get("/api/v1/jobs?state=failed").json()["items"]
    sends = client.get("/api/v1/jobs?task=send_email").json()["items"]
    polls = client.get(f"/api/v1/jobs?task={POLL}").json()["items"]
    bad = client.get("/api/v1/jobs?state=exploded")

    assert [item["id"] for item in failed] == [jobs["failed"].pk]
    assert {item["id"] for item in sends} == {jobs["sent"].pk, jobs["failed"].pk}
    assert [item["id"] for item in polls] == [jobs["poll"].pk]
    assert bad.status_code == 422
    assert "state" in bad.json()["error"]["fields"]


def test_counts_per_state(api_client, admin, jobs):
    counts = api_client(admin).get("/api/v1/jobs/counts").json()["counts"]
    assert counts == {
        "queued": 1,
        "running": 0,
        "retrying": 0,
        "failed": 1,
        "finished": 1,
        "revoked": 0,
        "expired": 0,
    }


def test_one_job_shows_its_traceback(api_client, admin, jobs):
    body = api_client(admin).get(f"/api/v1/jobs/{jobs['failed'].pk}").json()
    assert body["error_type"] == "SMTPRecipientsRefused"
    assert body["error_traceback"] == "Traceback ... smtplib"
    assert api_client(admin).get("/api/v1/jobs/999999").status_code == 404


def test_keyset_pages(api_client, admin, jobs):
    client = api_client(admin)
    first = client.get("/api/v1/jobs?limit=2").json()
    second = client.get(f"/api/v1/jobs?limit=2&cursor={first['next_cursor']}").json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == [jobs["poll"].pk, jobs["failed"].pk, jobs["sent"].pk]
    assert second["next_cursor"] is None


def test_retry_enqueues_the_same_task_again(
    api_client, manager, jobs, smtp_server, immediate_queue, django_capture_on_commit_callbacks
):
    # given: the send job failed for an interaction that does not exist (nothing to send)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(manager).post(f"/api/v1/jobs/{jobs['failed'].pk}/retry")

    assert response.status_code == 202
    body = response.json()
    assert body["retry_of_id"] == jobs["failed"].pk
    assert body["task_name"] == SEND
    retried = Job.objects.get(pk=body["id"])
    assert retried.state == JobState.FINISHED
    assert retried.payload == {"args": [1], "kwargs": {}}


def test_retry_refuses_jobs_that_did_not_fail(api_client, admin, jobs):
    response = api_client(admin).post(f"/api/v1/jobs/{jobs['sent'].pk}/retry")
    assert response.status_code == 409
    assert "finished" in response.json()["error"]["message"]


def test_retry_refuses_jobs_without_recorded_arguments(api_client, admin):
    job = make_job(state=JobState.FAILED, payload=None)
    response = api_client(admin).post(f"/api/v1/jobs/{job.pk}/retry")
    assert response.status_code == 409


def test_page_lists_jobs_with_counts_errors_and_retry(web_client, admin, jobs):
    page = web_client(admin).get("/jobs/").content.decode()

    assert 'data-state-count="failed">1<' in page
    assert "SMTPRecipientsRefused" in page and "Traceback ... smtplib" in page
    assert page.count(">Retry<") == 1
    assert "Background jobs" in page


def test_page_filters_and_htmx_refresh(web_client, admin, jobs):
    client = web_client(admin)

    page = client.get("/jobs/?state=failed").content.decode()
    assert client.get("/jobs/?state=nonsense").status_code == 200
    fragment = client.get("/jobs/?task=poll_mailboxes", headers={"HX-Request": "true"})

    assert "SMTPRecipientsRefused" in page and "poll_mailboxes</span>" not in page
    body = fragment.content.decode()
    assert body.startswith('<div id="job-table"')
    assert "poll_mailboxes" in body and "SMTPRecipientsRefused" not in body


def test_page_is_for_admins_and_managers_only(web_client, manager, rep_a, marketer):
    assert web_client(manager).get("/jobs/").status_code == 200
    assert web_client(rep_a).get("/jobs/").status_code == 403
    assert web_client(marketer).get("/jobs/").status_code == 403
    assert "/jobs/" in web_client(manager).get("/").content.decode()
    assert "/jobs/" not in web_client(rep_a).get("/").content.decode()


def test_retry_button_requeues_and_says_so(
    web_client, admin, jobs, immediate_queue, django_capture_on_commit_callbacks
):
    client = web_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/jobs/{jobs['failed'].pk}/retry/", follow=True)

    assert "send_email queued again." in response.content.decode()
    assert Job.objects.filter(retry_of=jobs["failed"]).count() == 1
    refused = client.post(f"/jobs/{jobs['sent'].pk}/retry/", follow=True)
    assert "Only failed, revoked or expired jobs" in refused.content.decode()


def test_page_query_count_does_not_grow_with_jobs(web_client, admin, django_assert_max_num_queries):
    for n in range(40):
        make_job(state=JobState.FAILED, error_type="OSError", error_message=f"down {n}")
    client = web_client(admin)
    client.get("/jobs/")  # warm per-process caches

    with django_assert_max_num_queries(9):
        response = client.get("/jobs/")

    assert response.content.decode().count(">Retry<") == 40
