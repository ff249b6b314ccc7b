"""`cyclecrm backup` of a database another process keeps writing to: the archive is one point
in time. Restored into a fresh database, every table agrees with every other (each record has
its history row, no contact without its account, every foreign key holds) and the data is
exactly what the live database held at some moment between the first and the last write the
backup overlapped."""

import subprocess
import sys

import pytest

from cyclecrm.core.testing.crash import ROOT, Site, freeze, site_for_test, wait_until
from cyclecrm.core.testing.writer import STOP, WRITTEN

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS = "SELECT id, first_name, account_id FROM contacts_contact ORDER BY id"
ACCOUNTS = "SELECT id, name FROM contacts_account ORDER BY id"
CREATED = (
    "SELECT object_id FROM core_historyentry WHERE record_type = ? AND action = 'create'"
    " ORDER BY object_id"
)
PG_FOREIGN_KEYS = (
    "SELECT conrelid::regclass::text, conname, convalidated FROM pg_constraint"
    " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1, 2"
)


class Writer:
    """The writer process (cyclecrm/core/testing/writer.py) on `site`, as `username`."""

    def __init__(self, site: Site, username: str) -> None:
        self.directory = site.directory.parent / f"{site.directory.name}-writer"
        self.directory.mkdir()
        self.log = self.directory / "log"
        command = [sys.executable, "-m", "cyclecrm.core.testing.writer", username]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [*command, str(self.directory)],
                cwd=ROOT,
                env=site.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def written(self) -> int:
        path = self.directory / WRITTEN
        return int(path.read_text()) if path.exists() else 0

    def wait_for(self, rounds: int) -> None:
        def done() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the writer exited:\n{self.log.read_text()}")
            return self.written() >= rounds

        wait_until(done, f"{rounds} rounds of writes")

    def stop(self) -> None:
        (self.directory / STOP).touch()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.returncode == 0, self.log.read_text()


def foreign_key_problems(site: Site, source: Site) -> list:
    """SQLite: the rows `PRAGMA foreign_key_check` finds. PostgreSQL: any difference between the
    constraints of the restored and the source database, or one not validated; pg_restore adds
    each foreign key after the data, which checks every row (a failure fails the restore)."""
    if not site.database:
        return site.rows("PRAGMA foreign_key_check")
    restored, original = site.rows(PG_FOREIGN_KEYS), source.rows(PG_FOREIGN_KEYS)
    return [row for row in restored if not row[2]] + ([] if restored == original else ["differ"])


def test_a_backup_taken_during_writes_restores_one_consistent_moment(admin, tmp_path):
    # given a database another process keeps writing to
    with site_for_test(tmp_path / "live") as live:
        freeze(live)
    writer = Writer(live, admin.username)
    target = live.fresh(tmp_path / "restored")
    try:
        writer.wait_for(5)
        # when `cyclecrm backup` runs in the middle of the writes
        before = writer.written()
        backup = live.run("backup", "--out", str(tmp_path / "live.tar.gz"))
        after = writer.written()
        writer.wait_for(after + 3)  # the writes go on after the backup
        writer.stop()
        assert backup.returncode == 0, backup.stderr
        assert after > before, "the writer wrote while the backup ran"
        # and it is restored into a fresh database
        restore = target.run("restore", backup.stdout.strip())
        assert restore.returncode == 0, restore.stderr

        # then it holds the live data as it was at one moment within the backup's run
        contacts, accounts = target.rows(CONTACTS), target.rows(ACCOUNTS)
        assert before <= len(contacts) <= after + 1
        assert contacts == live.rows(CONTACTS)[: len(contacts)]
        assert accounts == live.rows(ACCOUNTS)[: len(accounts)]
        assert len(accounts) - len(contacts) in (0, 1)  # the last round between two commits
        assert len(live.rows(CONTACTS)) > len(contacts), "the live data went on"
        # and every table agrees with the others at that moment
        assert [row[0] for row in target.rows(CREATED, ("contact",))] == [r[0] for r in contacts]
        assert [row[0] for row in target.rows(CREATED, ("account",))] == [r[0] for r in accounts]
        assert {row[2] for row in contacts} <= {row[0] for row in accounts}
        assert foreign_key_problems(target, live) == []
    finally:
        if writer.process.poll() is None:
            writer.process.kill()
        target.drop()
