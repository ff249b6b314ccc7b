"""Workflow rule runs on `cyclecrm worker`, SIGKILLed partway: the restarted worker resumes the
interrupted run (ADR 0033) and every rule acts exactly once per record, as in an uninterrupted
run. A run whose worker died after its actions committed but before its job was marked finished
(the narrowest gap, put in place by hand since no kill can aim at it) is resumed and does not
act a second time: the run row, keyed by the job's task id, commits with the actions. A kill
between Huey taking a task off the queue and its job being recorded `running` (about one run in
four) leaves a `queued` job whose message is gone: the second worker's sweep queues it again
after a lease (a short one here), so the result is the same whichever step the kill hits."""

import socket

import pytest

from cyclecrm.automation.services import rules
from cyclecrm.contacts.services import contact_create
from cyclecrm.core.testing.crash import Worker, freeze, job_state, site_for_test, wait_until
from cyclecrm.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = 120
LEASE = "5"  # seconds a missing queue message is waited for before its job is queued again
# Several actions per run, so that a kill lands inside a run more often than in the short step
# between Huey taking a task off the queue and its job being recorded `running`.
ACTIONS = [
    *({"type": "create_task", "params": {"title": title}} for title in ("Call", "Mail", "Visit")),
    {"type": "add_tag", "params": {"tag": "welcomed"}},
]
RUNS = "SELECT COUNT(*) FROM automation_workflowrun"
FINISHED = (
    "SELECT COUNT(*) FROM jobs_job WHERE state = 'finished'"
    " AND task_name = 'cyclecrm.automation.tasks.run_rule'"
)
TABLES = {
    "tasks": "SELECT title, contact_id FROM activities_task ORDER BY contact_id, title",
    "runs": ("SELECT rule_id, object_id, outcome FROM automation_workflowrun ORDER BY object_id"),
    "history": (
        "SELECT record_type, action, COUNT(*) FROM core_historyentry"
        " GROUP BY record_type, action ORDER BY record_type, action"
    ),
    "tagged": (
        "SELECT COUNT(*) FROM core_historyentry WHERE record_type = 'contact' AND action = 'update'"
    ),
}


def _queue_runs(admin) -> list[str]:
    """A rule on new contacts; RECORDS contacts, so RECORDS `run_rule` jobs on the queue."""
    rule = {"name": "Welcome", "record_type": "contact", "trigger": "created", "actions": ACTIONS}
    rules.workflow_create(actor=admin, data=rule)
    for n in range(RECORDS):
        contact_create(actor=admin, data={"first_name": f"C{n}", "last_name": "Doe"})
    jobs = Job.objects.filter(task_name__endswith=".run_rule").order_by("id")
    return list(jobs.values_list("task_id", flat=True))


def _tables(site) -> dict[str, list[tuple]]:
    return {name: [tuple(map(str, row)) for row in site.rows(sql)] for name, sql in TABLES.items()}


def _run_all(site, name: str, finished: int = RECORDS) -> None:
    worker = Worker(site, name)
    try:
        wait_until(lambda: site.value(FINISHED) == finished, f"{finished} finished runs", worker)
    finally:
        worker.stop()


def test_killed_rule_runs_resume_and_act_once_per_record(admin, tmp_path):
    # given RECORDS queued rule runs, and a clone of the site to run them undisturbed
    with site_for_test(tmp_path / "crashed", CYCLECRM_JOB_LEASE_SECONDS=LEASE) as site:
        task_ids = _queue_runs(admin)
        freeze(site)
        clean = site.clone(tmp_path / "clean")
    assert len(task_ids) == RECORDS
    try:
        # when the worker is killed partway and another one starts
        worker = Worker(site, "first")
        try:
            wait_until(lambda: site.value(RUNS) >= 10, "10 runs", worker)
        finally:
            worker.kill()
        dead = f"{socket.gethostname()}/{worker.process.pid}/0"
        assert site.value(RUNS) < RECORDS, "killed partway"
        _run_all(site, "second")
        # and a finished run is put back as its worker would have left it, killed after the
        # run committed and before the job was marked finished; a third worker resumes it
        site.execute(
            "UPDATE jobs_job SET state = 'running', worker = ? WHERE task_id = ?",
            (dead, task_ids[0]),
        )
        _run_all(site, "third")
        _run_all(clean, "clean")

        # then each record was acted on once, exactly as in the undisturbed run
        crashed, undisturbed = _tables(site), _tables(clean)
        assert crashed == undisturbed
        assert len(crashed["tasks"]) == 3 * RECORDS and crashed["tagged"] == [(str(RECORDS),)]
        assert job_state(site, task_ids[0])[:3] == ("finished", 2, 1)
        assert {job_state(site, task_id)[0] for task_id in task_ids} == {"finished"}
    finally:
        clean.drop()
