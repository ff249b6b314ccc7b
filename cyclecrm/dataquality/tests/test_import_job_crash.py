"""An import started from the page or the API runs as a job on `cyclecrm worker`: the worker is
SIGKILLed partway, a new worker resumes the same job at start-up (ADR 0033) after the import's
checkpoint, and the stored rows equal those of the same import run by a worker left alone."""

import pytest

from cyclecrm.core.testing.crash import Worker, freeze, job_state, site_for_test, wait_until
from cyclecrm.dataquality.imports.services import import_create, import_start
from cyclecrm.dataquality.tests.test_import_crash import CHECKED, ROWS, _write_file
from cyclecrm.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = {"CYCLECRM_IMPORT_CHUNK_ROWS": "100"}
PROGRESS = (
    "SELECT status, rows_done, created, updated, skipped, rejected FROM dataquality_importjob"
)
CONTACTS = f"SELECT {CHECKED} FROM contacts_contact ORDER BY external_id"
HISTORY = (
    "SELECT object_id, action FROM core_historyentry WHERE record_type = 'contact'"
    " ORDER BY object_id, action"
)


def _queue_import(admin, tmp_path) -> str:
    source = tmp_path / "people.csv"
    _write_file(source)
    with source.open("rb") as stream:
        job = import_create(
            actor=admin, record_type="contact", file_name="people.csv", stream=stream
        )
    import_start(actor=admin, job=job)
    return Job.objects.get(task_name__endswith=".import_run_task").task_id


def _progress(site) -> tuple:
    return site.rows(PROGRESS)[0]


def test_a_killed_import_job_resumes_to_the_rows_of_an_uninterrupted_run(admin, tmp_path):
    # given
    with site_for_test(tmp_path / "crashed", **CHUNK) as site:
        task_id = _queue_import(admin, tmp_path)
        freeze(site)
        clean = site.clone(tmp_path / "clean")
    try:
        # when: killed after its first checkpoints, then a new worker starts
        worker = Worker(site, "first")
        try:
            wait_until(lambda: _progress(site)[1] >= 300, "300 rows imported", worker)
        finally:
            worker.kill()
        status, done, *_ = _progress(site)
        assert status == "running" and done < ROWS, "killed partway"
        assert job_state(site, task_id)[0] == "running"
        worker = Worker(site, "second")
        try:
            wait_until(lambda: _progress(site)[0] == "done", "the import to end", worker)
        finally:
            worker.stop()
        worker = Worker(clean, "clean")
        try:
            wait_until(lambda: _progress(clean)[0] == "done", "the clean import", worker)
        finally:
            worker.stop()

        # then: the same job finished once resumed; the same rows, counts and history
        assert job_state(site, task_id)[:3] == ("finished", 2, 1)  # one resumed attempt
        assert _progress(site) == _progress(clean)
        assert _progress(site)[1] == ROWS
        assert site.rows(CONTACTS) == clean.rows(CONTACTS)
        assert len(site.rows(HISTORY)) == len(clean.rows(HISTORY)) == _progress(site)[2]
        assert len({object_id for object_id, _ in site.rows(HISTORY)}) == _progress(site)[2]
    finally:
        clean.drop()
