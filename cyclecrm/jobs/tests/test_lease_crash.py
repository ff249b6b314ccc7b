"""Workers of several machines on one database (ADR 0036): a worker killed on one machine has
its job taken over by a live worker of another machine once the job's lease has run out, and
the job of a live worker, who keeps renewing its lease, is never taken over. The machines are
three `cyclecrm worker` processes with their own node names, sharing a queue and a PostgreSQL
database (an SQLite database serves one machine, whose workers are judged by their process:
test_recovery.py)."""

import pytest

from cyclecrm.core.testing.crash import (
    Worker,
    freeze,
    job_state,
    on_postgresql,
    site_for_test,
    wait_until,
)
from cyclecrm.dataquality.duplicates.services import clusters_merge_batch
from cyclecrm.dataquality.tests.merge_helpers import make_clusters
from cyclecrm.jobs.models import Job

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgresql(), reason="several machines share PostgreSQL"),
]

LEASE = "4"  # seconds; each worker renews and sweeps every 1.3 s
MERGED = "SELECT COUNT(*) FROM dataquality_duplicatecluster WHERE status = 'merged'"
MERGES = "SELECT COUNT(*), COUNT(DISTINCT cluster_id) FROM dataquality_mergerecord"
LEASED = "SELECT worker, lease_expires, state FROM jobs_job WHERE task_id = ?"


def _queue(admin, first: int, count: int) -> str:
    before = set(Job.objects.values_list("task_id", flat=True))
    clusters_merge_batch(actor=admin, cluster_ids=make_clusters(admin, first, count))
    return Job.objects.exclude(task_id__in=before).get().task_id


def _node(site, task_id: str) -> str:
    worker, _, state = site.rows(LEASED, (task_id,))[0]
    return worker.partition("/")[0] if state == "running" else ""


def test_a_dead_machines_job_is_taken_over_after_its_lease_and_a_live_ones_never(admin, tmp_path):
    # given two batch merges queued: a short one and a long one
    with site_for_test(tmp_path / "site", CYCLECRM_JOB_LEASE_SECONDS=LEASE) as site:
        short = _queue(admin, 0, 150)
        long = _queue(admin, 150, 400)
        freeze(site)
    workers: dict[str, Worker] = {}
    try:
        # when two machines run them
        for node in ("node-a", "node-b"):
            workers[node] = Worker(site, node, CYCLECRM_NODE_NAME=node)
        wait_until(lambda: {_node(site, short), _node(site, long)} == set(workers), "both running")
        dying, live = _node(site, short), _node(site, long)
        # and the machine of the short one dies, while machine c comes up
        workers[dying].kill()
        assert job_state(site, short)[0] == "running"
        workers["node-c"] = Worker(site, "node-c", CYCLECRM_NODE_NAME="node-c")
        first_lease = site.rows(LEASED, (long,))[0][1]
        leases = set()

        def both_finished() -> bool:
            leases.add(site.rows(LEASED, (long,))[0][1])
            return {job_state(site, short)[0], job_state(site, long)[0]} == {"finished"}

        wait_until(both_finished, "both jobs to finish", workers["node-c"])

        # then the dead machine's job was taken over once and finished by a live machine
        assert job_state(site, short)[:3] == ("finished", 2, 1)
        assert job_state(site, short)[3].partition("/")[0] in (live, "node-c")
        # and the live machine's job, renewed while it ran past its first lease, never was
        assert job_state(site, long)[:3] == ("finished", 1, 0)
        assert job_state(site, long)[3].partition("/")[0] == live
        finished_at = site.value("SELECT finished_at FROM jobs_job WHERE task_id = ?", (long,))
        assert finished_at > first_lease, "the long job outlived its first lease"
        assert len(leases - {None}) >= 2, "its lease was renewed"
        assert site.value(MERGED) == 550
        assert site.rows(MERGES) == [(550, 550)]
    finally:
        for worker in workers.values():
            worker.stop()
