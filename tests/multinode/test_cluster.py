"""Two web processes and two workers on one PostgreSQL and one Redis, under a mixed workload
sent to both web processes: no server error, every job run exactly once, consistent data.

Run by `make multinode` (and CI, after the PostgreSQL tests) with DATABASE_URL naming a
PostgreSQL server: the test creates its own database there and drops it at the end. Bounded
by MULTINODE_SECONDS of workload (45) plus start-up and draining; nothing is timed."""

import os
import re
from collections import Counter

import pytest
import redis

from cyclecrm.core.testing.redisserver import MISSING, redis_binary

from .cluster import ADMIN, PASSWORD, Cluster, wait_until
from .workload import API_DOMAIN, IMPORT_ROWS, Tally, drive

pytestmark = pytest.mark.multinode

WORKLOAD_SECONDS = float(os.environ.get("MULTINODE_SECONDS", "45"))
CLIENTS = 6
DRAIN_TIMEOUT = 300
EXECUTED = re.compile(r"Executing ([\w.]+): ([0-9a-f-]{36})")
PERIODIC_EVERY_MINUTE = "cyclecrm.activities.tasks.send_task_reminders"
FINAL = ("finished", "failed", "revoked", "expired")


@pytest.fixture
def cluster(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL naming a PostgreSQL server (make multinode)")
    binary = redis_binary()
    if binary is None:
        pytest.fail(MISSING)
    cluster = Cluster(url, tmp_path)
    try:
        cluster.start(binary)
        yield cluster
    finally:
        cluster.stop()
        print(cluster.log_tails())  # shown when the test fails


def test_two_web_processes_and_two_workers_share_postgresql_and_redis(cluster):
    # given: the cluster of docs/deployment.md on loopback
    urls = [f"http://127.0.0.1:{port}" for port in cluster.web_ports]

    # when: clients send a mixed workload to both web processes, and the queue drains
    tally = drive(urls, cluster.token, ADMIN, PASSWORD, clients=CLIENTS, seconds=WORKLOAD_SECONDS)
    print(tally.summary())  # shown when the test fails
    with cluster.database.connect() as db:
        wait_until(lambda: _drained(db, tally, cluster), DRAIN_TIMEOUT, "the queue to drain")
        exit_codes = cluster.stop_workers()

        # then
        _no_errors_and_both_nodes_served(tally, cluster)
        assert exit_codes == [0, 0], cluster.log_tails()
        _every_job_ran_once_on_one_of_both_workers(db, tally, cluster)
        _each_minute_of_periodic_jobs_enqueued_once(db, cluster)
        _each_email_reached_the_sink_once(db, tally, cluster)
        _each_import_stored_its_rows_once(db, tally)
        _contacts_versions_and_history_match_the_clients(db, tally)


def _drained(db, tally: Tally, cluster: Cluster) -> bool:
    pending = db.execute(
        "SELECT count(*) FROM jobs_job WHERE NOT periodic AND state <> ALL(%s)", (list(FINAL),)
    ).fetchone()[0]
    mails = sum(1 for mail in cluster.smtp.received if mail.message["Subject"] is not None)
    return pending == 0 and mails >= len(tally.emails)


def _no_errors_and_both_nodes_served(tally: Tally, cluster: Cluster) -> None:
    assert tally.server_errors == [], cluster.log_tails()
    assert tally.connection_errors == []
    assert tally.unexpected == []
    served = tally.successes_per_port()
    assert all(served[port] >= 10 for port in cluster.web_ports), served
    # the workload did each kind of thing
    assert tally.updates and tally.emails and tally.imports
    assert sum(tally.updates.values()) > 0


def _executed_per_worker(cluster: Cluster) -> list[Counter]:
    return [
        Counter(task_id for _, task_id in EXECUTED.findall(worker.text()))
        for worker in cluster.workers
    ]


def _every_job_ran_once_on_one_of_both_workers(db, tally: Tally, cluster: Cluster) -> None:
    jobs = db.execute(
        "SELECT task_id, task_name, state, attempts FROM jobs_job WHERE NOT periodic"
    ).fetchall()
    names = Counter(name.rpartition(".")[2] for _, name, _, _ in jobs)
    assert names["send_email"] == len(tally.emails)
    assert names["import_run_task"] == len(tally.imports)
    assert [job for job in jobs if job[2] != "finished" or job[3] != 1] == []

    per_worker = _executed_per_worker(cluster)
    executed = sum(per_worker, Counter())
    assert [task_id for task_id, runs in executed.items() if runs > 1] == []
    assert {task_id for task_id, *_ in jobs} <= set(executed)
    assert all(per_worker), "each worker ran jobs"


def _each_minute_of_periodic_jobs_enqueued_once(db, cluster: Cluster) -> None:
    """Both workers run their scheduler; each minute is claimed by one (ADR 0028), so a job
    due every minute was enqueued once per claimed minute, not once per worker."""
    claims = redis.Redis.from_url(cluster.redis.url).keys("cyclecrm.periodic.*")
    enqueued = db.execute(
        "SELECT count(*) FROM jobs_job WHERE task_name = %s", (PERIODIC_EVERY_MINUTE,)
    ).fetchone()[0]
    assert claims
    assert enqueued == len(claims)


def _each_email_reached_the_sink_once(db, tally: Tally, cluster: Cluster) -> None:
    received = Counter(str(mail.message["Subject"]) for mail in cluster.smtp.received)
    assert {subject: received[subject] for subject in tally.emails.values()} == {
        subject: 1 for subject in tally.emails.values()
    }
    states = db.execute(
        "SELECT DISTINCT delivery_status FROM activities_interaction WHERE id = ANY(%s)",
        (list(tally.emails),),
    ).fetchall()
    assert states == [("sent",)]


def _each_import_stored_its_rows_once(db, tally: Tally) -> None:
    statuses = db.execute(
        "SELECT DISTINCT status FROM dataquality_importjob WHERE id = ANY(%s)",
        (list(tally.imports),),
    ).fetchall()
    assert statuses == [("done",)]
    for domain in tally.imports.values():
        rows = db.execute(
            "SELECT count(*), count(DISTINCT email) FROM contacts_contact WHERE email LIKE %s",
            (f"%@{domain}",),
        ).fetchone()
        assert rows == (IMPORT_ROWS, IMPORT_ROWS), domain


def _contacts_versions_and_history_match_the_clients(db, tally: Tally) -> None:
    versions = dict(
        db.execute(
            "SELECT id, version FROM contacts_contact WHERE email LIKE %s", (f"%@{API_DOMAIN}",)
        ).fetchall()
    )
    assert versions == {contact: updates + 1 for contact, updates in tally.updates.items()}

    history = Counter()
    for object_id, action, count in db.execute(
        "SELECT object_id, action, count(*) FROM core_historyentry "
        "WHERE record_type = 'contact' AND object_id = ANY(%s) GROUP BY object_id, action",
        (list(tally.updates),),
    ):
        history[object_id, action] = count
    expected = Counter()
    for contact, updates in tally.updates.items():
        expected[contact, "create"] = 1
        if updates:
            expected[contact, "update"] = updates
    assert history == expected

    orphans = db.execute(
        "SELECT count(*) FROM core_historyentry h LEFT JOIN contacts_contact c "
        "ON c.id = h.object_id WHERE h.record_type = 'contact' AND c.id IS NULL"
    ).fetchone()[0]
    assert orphans == 0
