"""A batch merge of duplicate clusters runs as a job on `cyclecrm worker`: SIGKILLed partway, a
new worker resumes the same job at start-up (ADR 0033); every cluster is merged once, no
record, task or merge row is lost or doubled, as in the same merge run by a worker left alone."""

import pytest

from cyclecrm.core.testing.crash import Worker, freeze, job_state, site_for_test, wait_until
from cyclecrm.dataquality.tests.merge_helpers import make_clusters
from cyclecrm.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

CLUSTERS = 150
MERGED = "SELECT COUNT(*) FROM dataquality_duplicatecluster WHERE status = 'merged'"
TABLES = {
    "contacts": "SELECT id, first_name, last_name, email, phone FROM contacts_contact ORDER BY id",
    "tasks": "SELECT id, title, contact_id FROM activities_task ORDER BY id",
    "merges": (
        "SELECT survivor_id, merged_id, cluster_id, undone_at FROM dataquality_mergerecord"
        " ORDER BY survivor_id, merged_id"
    ),
    "clusters": (
        "SELECT id, status, size, record_ids FROM dataquality_duplicatecluster ORDER BY id"
    ),
    "history": (
        "SELECT record_type, object_id, action FROM core_historyentry"
        " ORDER BY record_type, object_id, action"
    ),
}


def _queue_merges(admin, api_client) -> str:
    """CLUSTERS pairs of contacts, the later one with a task and a phone; one batch merge,
    asked for through the API (POST /duplicates/merge-batch answers the job's task id)."""
    ids = make_clusters(admin, 0, CLUSTERS)
    response = api_client(admin).post(
        "/api/v1/duplicates/merge-batch", {"cluster_ids": ids}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    assert Job.objects.get(task_name__endswith=".merge_clusters").task_id == task_id
    return task_id


def test_a_killed_batch_merge_resumes_and_merges_each_cluster_once(admin, api_client, tmp_path):
    # given
    with site_for_test(tmp_path / "crashed") as site:
        task_id = _queue_merges(admin, api_client)
        freeze(site)
        clean = site.clone(tmp_path / "clean")
    try:
        # when
        worker = Worker(site, "first")
        try:
            wait_until(lambda: site.value(MERGED) >= 10, "10 merges", worker)
        finally:
            worker.kill()
        assert site.value(MERGED) < CLUSTERS, "killed partway"
        assert job_state(site, task_id)[0] == "running"
        worker = Worker(site, "second")
        try:
            wait_until(lambda: site.value(MERGED) == CLUSTERS, "all merges", worker)
            wait_until(lambda: job_state(site, task_id)[0] == "finished", "the job", worker)
        finally:
            worker.stop()
        worker = Worker(clean, "clean")
        try:
            wait_until(lambda: job_state(clean, task_id)[0] == "finished", "the clean run", worker)
        finally:
            worker.stop()

        # then
        assert job_state(site, task_id)[:3] == ("finished", 2, 1)  # one resumed attempt
        for name, sql in TABLES.items():
            assert site.rows(sql) == clean.rows(sql), name
        assert len(site.rows(TABLES["merges"])) == CLUSTERS
        assert len(site.rows(TABLES["contacts"])) == CLUSTERS
    finally:
        clean.drop()
