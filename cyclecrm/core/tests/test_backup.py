"""`cyclecrm backup` / `cyclecrm restore`: a restore brings back every table and every data file
exactly as they were at backup time, and refuses (changing nothing) what it cannot trust."""

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.migrations.loader import MigrationLoader

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.backup import (
    MANIFEST,
    BackupError,
    backup_create,
    backup_restore,
    database_holds_data,
)
from cyclecrm.core.demo import DemoOptions, demo_build
from cyclecrm.core.testing.factories import make_contact, make_user
from cyclecrm.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data_dir(settings, tmp_path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    (settings.DATA_DIR / "attachments" / "2026" / "01").mkdir(parents=True)
    (settings.DATA_DIR / "attachments" / "2026" / "01" / "offer.pdf").write_bytes(b"%PDF-1 offer")
    (settings.DATA_DIR / "imports" / "7").mkdir(parents=True)
    (settings.DATA_DIR / "imports" / "7" / "people.csv").write_text("email\na@example.com\n")
    return settings.DATA_DIR


def table_state() -> dict[str, tuple[int, str]]:
    """Every model's table: its row count and a digest of all its rows ordered by primary key."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        names = [field.attname for field in meta.concrete_fields]
        rows = list(model._base_manager.order_by("pk").values_list(*names))
        state[meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def file_state(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for directory in ("attachments", "imports", "exports")
        for path in sorted((root / directory).rglob("*"))
        if path.is_file()
    }


def change_everything(root: Path) -> None:
    Contact.objects.filter(pk__in=Contact.objects.order_by("pk").values("pk")[:10]).delete()
    Account.objects.update(name="Renamed")
    make_user("late_user", role="sales_rep")
    (root / "attachments" / "2026" / "01" / "offer.pdf").unlink()
    (root / "attachments" / "2026" / "01" / "new.pdf").write_bytes(b"%PDF-1 later")
    (root / "exports").mkdir(exist_ok=True)
    (root / "exports" / "all.zip").write_bytes(b"PK later")


def test_a_restore_brings_back_every_table_and_file(data_dir, tmp_path):
    # given demo data in every domain and uploaded files, backed up
    demo_build(DemoOptions(contacts=30, accounts=4, seed=7), log=lambda text: None)
    tables, files = table_state(), file_state(data_dir)
    archive = backup_create(out=tmp_path / "backup.tar.gz")
    # when the data changes and the backup is restored
    change_everything(data_dir)
    assert table_state() != tables and file_state(data_dir) != files
    result = backup_restore(archive=archive, force=True)
    # then every table and every file are as they were at backup time
    assert table_state() == tables
    assert file_state(data_dir) == files
    assert result.migrated == []
    assert sum(count for count, _ in tables.values()) > 1000
    assert archive.stat().st_mode & 0o077 == 0


def test_the_commands_round_trip_and_refuse_a_database_with_data(data_dir, tmp_path):
    make_contact(first_name="Ada")
    out = io.StringIO()
    call_command("backup", "--out", str(tmp_path / "b.tar.gz"), stdout=out)
    archive = Path(out.getvalue().strip())
    tables = table_state()
    make_contact(first_name="Later")

    with pytest.raises(CommandError, match=r"already holds data.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    assert Contact.objects.filter(first_name="Later").exists()

    call_command("restore", str(archive), "--force", stdout=out, stderr=io.StringIO())
    assert table_state() == tables
    assert "Restored the backup of" in out.getvalue()


def test_an_empty_database_is_restored_without_force(data_dir, tmp_path):
    make_contact(first_name="Ada")
    archive = backup_create(out=tmp_path / "b.tar.gz")
    tables = table_state()
    call_command("flush", interactive=False, verbosity=0)
    assert not database_holds_data()

    backup_restore(archive=archive)

    assert table_state() == tables


def rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of `archive` with `change(name, data) -> data` applied to every member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def manifest_edit(**values):
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        return json.dumps(json.loads(data) | values).encode()

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda name, data: data[:-1] + b"!" if name.startswith("files/") else data,
            r"files/attachments/2026/01/offer.pdf in the archive is damaged",
        ),
        (manifest_edit(format=99), "format 99 is not supported"),
        (manifest_edit(app_version="99.0"), "made by Cycle CRM 99.0, newer than this"),
        (manifest_edit(engine="oracle"), "backup is of a oracle database"),
        (
            manifest_edit(migrations=["contacts.9999_from_the_future"]),
            "migrations this version does not know \\(contacts.9999_from_the_future\\)",
        ),
    ],
    ids=["damaged-file", "format", "newer-version", "engine", "unknown-migration"],
)
def test_an_archive_that_cannot_be_trusted_changes_nothing(data_dir, tmp_path, change, message):
    make_contact(first_name="Ada")
    archive = backup_create(out=tmp_path / "b.tar.gz")
    make_contact(first_name="Later")
    tables, files = table_state(), file_state(data_dir)
    bad = rewrite(archive, tmp_path / "bad.tar.gz", change)

    with pytest.raises(BackupError, match=message):
        backup_restore(archive=bad, force=True)

    assert table_state() == tables and file_state(data_dir) == files


def test_an_archive_with_a_path_outside_is_refused(data_dir, tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))

    with pytest.raises(BackupError, match=re.escape("unexpected entry '../../escaped.txt'")):
        backup_restore(archive=archive, force=True)
    assert not (tmp_path / "escaped.txt").exists()


def test_not_an_archive(data_dir, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")

    with pytest.raises(BackupError, match="not a readable backup archive"):
        backup_restore(archive=junk, force=True)
    with pytest.raises(BackupError, match="no such file"):
        backup_restore(archive=tmp_path / "missing.tar.gz", force=True)


@pytest.fixture
def jobs_schema_back_one_migration() -> Iterator[None]:
    """The database as an earlier release left it (jobs at 0001), put back after."""
    call_command("migrate", "jobs", "0001", verbosity=0)
    yield
    call_command("migrate", "jobs", verbosity=0)


def test_an_older_backup_is_migrated_after_the_restore(data_dir, tmp_path, request):
    request.getfixturevalue("jobs_schema_back_one_migration")
    make_contact(first_name="Ada")
    archive = backup_create(out=tmp_path / "old.tar.gz")
    call_command("migrate", "jobs", verbosity=0)

    result = backup_restore(archive=archive, force=True)

    later = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    assert sorted(result.migrated) == sorted(
        f"jobs.{name}" for app, name in later if app == "jobs" and name != "0001_initial"
    )
    assert "jobs.0002_job_request_id" in result.migrated
    assert Contact.objects.get().first_name == "Ada"
    Job.objects.create(task_id="t-1", task_name="x", request_id="after-restore")
    assert Job.objects.get().request_id == "after-restore"


def test_a_database_copy_that_cannot_be_loaded_changes_nothing(data_dir, tmp_path):
    """Even with a manifest that vouches for it (checksums recomputed), a broken database copy
    is refused by the engine and the live database stays as it was."""
    make_contact(first_name="Ada")
    archive = backup_create(out=tmp_path / "b.tar.gz")
    make_contact(first_name="Later")
    tables, files = table_state(), file_state(data_dir)

    def garble(name: str, data: bytes) -> bytes:
        return data[:4096] + b"\x00garbage" * 100 if name.startswith("database.") else data

    broken = rewrite(archive, tmp_path / "broken.tar.gz", garble)
    fixed = rewrite(broken, tmp_path / "vouched.tar.gz", vouch_for(broken))

    with pytest.raises(BackupError, match=r"cannot be read|damaged|failed"):
        backup_restore(archive=fixed, force=True)
    assert table_state() == tables and file_state(data_dir) == files


def vouch_for(archive: Path):
    """A change that rewrites the manifest's checksums and sizes to match `archive`'s members."""
    with tarfile.open(archive) as tar:
        digests = {
            member.name: hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            for member in tar.getmembers()
            if member.name != MANIFEST
        }
        sizes = {member.name: member.size for member in tar.getmembers()}

    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        for member in manifest["members"]:
            member["sha256"], member["size"] = digests[member["name"]], sizes[member["name"]]
        return json.dumps(manifest).encode()

    return change


def test_missing_postgresql_client_programs_are_named():
    from cyclecrm.core.db.dump import DumpError, pg_program

    with pytest.raises(DumpError, match="pg_dump for PostgreSQL 99 or newer was not found"):
        pg_program("pg_dump", server_major=99)
