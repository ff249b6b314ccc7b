"""`cyclecrm backup` and `cyclecrm restore`: the whole installation in one archive and back.

The archive (`.tar.gz`) holds the database (core/db/dump.py: an SQLite copy made with the
online backup API, or a `pg_dump -Fc` file), the uploaded and generated files of the data
directory (FILE_DIRS) and, last, `manifest.json`: format, application version, engine, the
applied migrations and a SHA-256 and size for every other member. Restoring checks the whole
archive before it touches anything, refuses a database that holds data unless forced, loads the
database in one transaction, swaps the file directories in, and migrates when the backup is
older than the code. The queue, the cache and the secret key are not in the archive (see
docs/operations.md).
"""

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from packaging.version import InvalidVersion, Version

from cyclecrm.core.db.dump import DumpError, database_dump, database_engine, database_load

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Directories of the data directory that hold files users uploaded or the application made
# for them: e-mail attachments, import uploads, full exports.
FILE_DIRS = ("attachments", "imports", "exports")
# Rows a freshly migrated database already has (migrate fills them, the scheduler records its
# jobs): they do not make a database "hold data".
SEEDED_MODELS = {"contenttypes.contenttype", "auth.permission", "identity.role", "jobs.job"}
SEEDED_MODELS |= {"sessions.session"}
CHUNK = 1 << 20
RESTORE_PREFIX = ".restore-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    migrated: list[str]


def app_version() -> str:
    try:
        return metadata.version("cyclecrm")
    except metadata.PackageNotFoundError:
        return "0"


def default_backup_path(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return settings.DATA_DIR / "backups" / f"cyclecrm-{stamp}.tar.gz"


def backup_create(*, out: Path | None = None) -> Path:
    """Write the archive to `out` (default: DATA_DIR/backups/cyclecrm-<UTC time>.tar.gz). It
    appears under its name only when complete, readable by its owner only."""
    target = (out or default_backup_path()).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    engine = database_engine()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        database = Path(work) / DATABASE_MEMBER.get(engine, "database")
        try:
            database_dump(database)
        except DumpError as error:
            raise BackupError(str(error)) from error
        try:
            with tarfile.open(partial, "w:gz", compresslevel=1) as archive:
                os.chmod(partial, 0o600)
                members = [_add(archive, database, database.name)]
                members += [_add(archive, path, name) for path, name in _data_files()]
                _add_manifest(archive, _manifest(engine, members))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _data_files() -> list[tuple[Path, str]]:
    found = []
    for directory in FILE_DIRS:
        root = settings.DATA_DIR / directory
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and not path.is_symlink():
                found.append((path, f"files/{path.relative_to(settings.DATA_DIR).as_posix()}"))
    return found


class _HashingReader:
    """Hashes exactly the bytes tarfile copies into the archive."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as handle:
        reader = _HashingReader(handle)
        archive.addfile(info, reader)
    return {"name": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def _manifest(engine: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    applied = MigrationRecorder(connection).applied_migrations()
    return {
        "format": FORMAT,
        "app_version": app_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "migrations": sorted(f"{app}.{name}" for app, name in applied),
        "members": members,
    }


def _add_manifest(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    with tempfile.SpooledTemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        archive.addfile(info, handle)


def backup_restore(
    *, archive: Path, force: bool = False, log: Callable[[str], None] = lambda text: None
) -> RestoreResult:
    """Replace the database and the data files with the archive's. Everything is checked
    first (readable, checksums, engine, version, migrations, an empty database unless
    `force`); a failure before the database load changes nothing."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file.")
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    _remove_stale_work_dirs()
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR, prefix=RESTORE_PREFIX) as work:
        root = Path(work) / "archive"
        manifest = _extract(archive, root)
        pending = _check_compatible(manifest)
        if not force and database_holds_data():
            raise BackupError(
                "The database already holds data; restoring would replace all of it. "
                "Run again with --force to replace it."
            )
        log(f"Restoring the {manifest['engine']} database from {manifest['created_at']}…")
        try:
            database_load(root / DATABASE_MEMBER[manifest["engine"]])
        except DumpError as error:
            raise BackupError(str(error)) from error
        _swap_file_dirs(root / "files", Path(work) / "previous")
        if pending:
            log(f"Applying {len(pending)} migration(s) newer than the backup…")
            call_command("migrate", interactive=False, verbosity=0)
    return RestoreResult(manifest=manifest, migrated=pending)


def _remove_stale_work_dirs() -> None:
    """A restore killed before its end leaves its work directory behind (the database and
    the files are unchanged or fully replaced): the next one removes it."""
    for stale in settings.DATA_DIR.glob(f"{RESTORE_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)


def _extract(archive: Path, root: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            tar.extractall(root, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive} is not a readable backup archive: {error}.") from error
    manifest = _read_manifest(root / MANIFEST, archive)
    _verify_members(manifest, root, {member.name for member in members if member.isfile()})
    return manifest


def _check_member(member: tarfile.TarInfo) -> None:
    path = PurePosixPath(member.name)
    allowed = member.isfile() or member.isdir()
    if not allowed or path.is_absolute() or ".." in path.parts:
        raise BackupError(f"The archive holds an unexpected entry {member.name!r}; not restoring.")


def _read_manifest(path: Path, archive: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        message = f"{archive} has no readable {MANIFEST}: not a Cycle CRM backup."
        raise BackupError(message) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{archive}: backup format {manifest.get('format')!r} is not supported "
            f"(this version reads format {FORMAT})."
        )
    return manifest


def _verify_members(manifest: dict[str, Any], root: Path, names: set[str]) -> None:
    listed = {member["name"]: member for member in manifest.get("members", [])}
    if names - {MANIFEST} != set(listed):
        unlisted = sorted((names - {MANIFEST}) ^ set(listed))[:5]
        raise BackupError(f"The archive's files do not match its manifest: {unlisted}.")
    for name, member in listed.items():
        if _sha256(root / name) != member["sha256"]:
            raise BackupError(f"{name} in the archive is damaged (wrong checksum): not restoring.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_compatible(manifest: dict[str, Any]) -> list[str]:
    """The migrations the code has and the backup lacks (applied after the restore). Refuses a
    backup of the other engine, of a newer version, or with migrations this code lacks."""
    engine = database_engine()
    if manifest.get("engine") != engine or engine not in DATABASE_MEMBER:
        raise BackupError(
            f"The backup is of a {manifest.get('engine')} database and the configured database is "
            f"{engine}: restore it into the same engine (move data across engines with the export)."
        )
    if _version(manifest.get("app_version", "")) > _version(app_version()):
        raise BackupError(
            f"The backup was made by Cycle CRM {manifest['app_version']}, newer than this "
            f"{app_version()}: upgrade first, then restore."
        )
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    unknown = sorted(set(manifest.get("migrations", [])) - known)
    if unknown:
        raise BackupError(
            "The backup's schema has migrations this version does not know "
            f"({', '.join(unknown[:5])}): restore it with the version that made it."
        )
    return sorted(known - set(manifest["migrations"]))


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")


def database_holds_data() -> bool:
    """Whether any table has rows other than those migrate itself creates (SEEDED_MODELS)."""
    tables = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.label_lower in SEEDED_MODELS or meta.proxy or not meta.managed:
            continue
        if meta.db_table in tables and model._base_manager.exists():
            return True
    return False


def _swap_file_dirs(restored: Path, previous: Path) -> None:
    """Each file directory becomes the archive's (an empty one when the backup had none); the
    current one is moved aside into the work directory, which is removed afterwards."""
    previous.mkdir()
    for directory in FILE_DIRS:
        current, incoming = settings.DATA_DIR / directory, restored / directory
        if current.exists():
            os.replace(current, previous / directory)
        if incoming.exists():
            os.replace(incoming, current)
        else:
            current.mkdir()
    shutil.rmtree(previous, ignore_errors=True)
