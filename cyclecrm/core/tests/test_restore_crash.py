"""`cyclecrm restore` SIGKILLed while pg_restore is loading (PostgreSQL): the database is the old
one, every table as it was (the load runs in one transaction the server rolls back when its
client dies), the data files are untouched, and running the restore again completes it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from cyclecrm.core.models import HistoryAction, HistoryEntry
from cyclecrm.core.testing.crash import ROOT, WAIT, Site, on_postgresql, site_for_test, wait_until
from cyclecrm.core.testing.factories import make_contact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgresql(), reason="pg_restore's load; SQLite's is one API call"),
]

TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
# The psql session of the restore, while its transaction is open and has not reached COMMIT.
LOADING = (
    "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
    " AND application_name = 'psql' AND xact_start IS NOT NULL"
    " AND query NOT ILIKE 'BEGIN%%' AND query NOT ILIKE 'DROP TABLE%%'"
    " AND query NOT ILIKE 'COMMIT%%'"
)
CLIENTS = (
    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND application_name = 'psql'"
)
DIGEST = "SELECT md5(COALESCE(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t"
ROWS = 40_000  # history rows: the load takes long enough to be caught in the middle


def database_state(site: Site) -> dict[str, str]:
    """Every table of the schema: an md5 of all its rows in a fixed order."""
    state = {}
    for (table,) in site.rows(TABLES):
        state[table] = site.value(DIGEST.format(table=table))
    return state


def file_state(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted((root / "attachments").rglob("*"))
        if path.is_file()
    }


def _bulk_history(label: str) -> None:
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            record_type="contact",
            object_id=n,
            object_repr=f"{label} {n}",
            action=HistoryAction.UPDATE,
            changes={"note": [label, f"{label} {n} " + "x" * 60]},
            actor_name="system",
        )
        for n in range(ROWS)
    )


def _start_restore(site: Site, archive: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cyclecrm", "restore", str(archive), "--force"],
        cwd=ROOT,
        env=site.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: pg_restore and psql with it
    )


@pytest.mark.parametrize("kill", ["command", "group"])
def test_a_restore_killed_while_loading_leaves_the_old_database_and_reruns(admin, tmp_path, kill):
    # given a backup of the "new" data, then the database changed to the "old" data
    with site_for_test(tmp_path / "site") as site:
        (site.directory / "attachments").mkdir()
        (site.directory / "attachments" / "new.pdf").write_bytes(b"%PDF new")
        make_contact(admin, first_name="New")
        _bulk_history("new")
        connections.close_all()
        backup = site.run("backup", "--out", str(tmp_path / "new.tar.gz"))
        assert backup.returncode == 0, backup.stderr
        new_state, new_files = database_state(site), file_state(site.directory)
        HistoryEntry.objects.all().delete()
        make_contact(admin, first_name="Old")
        _bulk_history("old")
        (site.directory / "attachments" / "new.pdf").unlink()
        (site.directory / "attachments" / "old.pdf").write_bytes(b"%PDF old")
        connections.close_all()
    old_state, old_files = database_state(site), file_state(site.directory)
    assert old_state != new_state

    # when the restore is SIGKILLed while psql loads the dump (the command, or its whole group)
    restore = _start_restore(site, Path(backup.stdout.strip()))
    try:
        wait_until(lambda: bool(site.rows(LOADING)), "the load to be under way")
    finally:
        if kill == "group":
            os.killpg(restore.pid, signal.SIGKILL)
        else:
            restore.send_signal(signal.SIGKILL)
        restore.wait(timeout=WAIT)
    wait_until(lambda: site.value(CLIENTS) == 0, "the restore's psql session to end")

    # then the database and the files are the old ones, all of them
    assert database_state(site) == old_state
    assert file_state(site.directory) == old_files
    # and restoring again completes, with nothing of the killed run left behind
    rerun = site.run("restore", backup.stdout.strip(), "--force")
    assert rerun.returncode == 0, rerun.stderr
    assert database_state(site) == new_state
    assert file_state(site.directory) == new_files
    assert not list(site.directory.glob(".restore-*"))
