"""Dumping the whole database to one file and loading it back, per engine (for backups).

SQLite: the online backup API copies the database page by page inside one read transaction, so
the copy is consistent while the application keeps writing (WAL lets the writer go on). Loading
copies the file back into the live database the same way, in one write transaction.

PostgreSQL: `pg_dump -Fc` (one consistent snapshot) and, to load, the dump's SQL from
`pg_restore` run by `psql` in a single transaction after dropping every table of the schema:
either the whole backup is in place or nothing changed. The client programs must be at least
the server's major version; they are looked up under /usr/lib/postgresql/<major>/bin first.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection

PG_BIN_ROOT = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class DumpError(Exception):
    """The database could not be dumped or loaded; the message says why and what to do."""


def database_engine() -> str:
    """`sqlite` or `postgresql`: the engine the backup format records."""
    return connection.vendor


def database_dump(target: Path) -> None:
    """Write a consistent copy of the whole database to `target`."""
    if connection.vendor == "sqlite":
        _sqlite_dump(target)
    elif connection.vendor == "postgresql":
        _pg_dump(target)
    else:
        raise DumpError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


def database_load(source: Path) -> None:
    """Replace the whole database with the copy in `source` (all or nothing)."""
    if connection.vendor == "sqlite":
        _sqlite_load(source)
    else:
        _pg_load(source)


def _sqlite_dump(target: Path) -> None:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # A self-contained file: no -wal/-shm companions needed to read it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()


def _sqlite_load(source: Path) -> None:
    connection.ensure_connection()
    copy = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise DumpError(f"The database in the backup is damaged: {problem}.")
        copy.backup(connection.connection)
    except sqlite3.DatabaseError as error:
        raise DumpError(f"The database in the backup cannot be read: {error}.") from error
    finally:
        copy.close()


def _pg_environment() -> dict[str, str]:
    """libpq variables for the configured database: the password never goes on a command line."""
    config = connection.settings_dict
    values = {
        "PGHOST": config.get("HOST") or "",
        "PGPORT": str(config.get("PORT") or ""),
        "PGUSER": config.get("USER") or "",
        "PGPASSWORD": config.get("PASSWORD") or "",
        "PGDATABASE": config["NAME"],
        "PGSSLMODE": (config.get("OPTIONS") or {}).get("sslmode", ""),
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}


def _server_major() -> int:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def pg_program(name: str, server_major: int | None = None) -> Path:
    """The PostgreSQL client program `name` able to talk to this server (same or newer major
    version): `PG_BIN_DIR` when set, else /usr/lib/postgresql/<major>/bin, else the PATH."""
    major = _server_major() if server_major is None else server_major
    configured = settings.CYCLECRM.get("PG_BIN_DIR", "")
    candidates = [Path(configured) / name] if configured else []
    versions = sorted(
        (int(path.name) for path in PG_BIN_ROOT.glob("*") if path.name.isdigit()), reverse=True
    )
    candidates += [PG_BIN_ROOT / str(version) / "bin" / name for version in versions]
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and _program_major(candidate) >= major:
            return candidate
    raise DumpError(
        f"{name} for PostgreSQL {major} or newer was not found (looked in "
        f"{', '.join(str(path) for path in candidates) or 'PATH'}). Install the client "
        f"(apt-get install postgresql-client-{major}) or set CYCLECRM_PG_BIN_DIR."
    )


def _program_major(program: Path) -> int:
    output = subprocess.run(
        [str(program), "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = _VERSION.search(output)
    return int(match.group(1)) if match else 0


def _failure(program: str, stderr: bytes) -> str:
    return f"{program} failed: {stderr.decode(errors='replace').strip()[-2000:]}"


def _pg_dump(target: Path) -> None:
    program = pg_program("pg_dump")
    command = [str(program), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, check=False)
    if result.returncode != 0:
        raise DumpError(_failure("pg_dump", result.stderr))


def _pg_load(source: Path) -> None:
    """pg_restore writes the dump as SQL, streamed into psql after `BEGIN` and the DROP; the
    `COMMIT` is sent only once pg_restore has written everything and psql has not stopped on an
    error. A failure anywhere leaves psql's transaction open at its end, so the server rolls
    it back: nothing changes."""
    major = _server_major()
    restore, psql = pg_program("pg_restore", major), pg_program("psql", major)
    drop = _drop_current_tables()
    environment = _pg_environment()
    with tempfile.TemporaryFile() as reader_errors, tempfile.TemporaryFile() as writer_errors:
        options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--file=-"]
        reader = subprocess.Popen(
            [str(restore), *options, str(source)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=reader_errors,
        )
        writer = subprocess.Popen(
            [str(psql), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--file=-"],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=writer_errors,
        )
        complete = _pump(reader, writer, f"BEGIN;\n{drop};\n".encode())
        if writer.wait() != 0 or not complete:
            raise DumpError(_failure("psql", _read(writer_errors)) + UNCHANGED)
        if reader.wait() != 0:
            raise DumpError(_failure("pg_restore", _read(reader_errors)) + UNCHANGED)


UNCHANGED = " (the database was not changed)"


def _pump(reader: subprocess.Popen, writer: subprocess.Popen, head: bytes) -> bool:
    """Copy pg_restore's script into psql between `head` and a COMMIT that is only written when
    pg_restore succeeded. False when psql stopped reading (it failed on a statement)."""
    assert reader.stdout is not None and writer.stdin is not None
    try:
        writer.stdin.write(head)
        while chunk := reader.stdout.read(1 << 20):
            writer.stdin.write(chunk)
        if reader.wait() == 0:
            writer.stdin.write(b"COMMIT;\n")
        writer.stdin.close()
    except BrokenPipeError:
        reader.kill()
        return False
    finally:
        reader.stdout.close()
    return True


def _read(handle: IO[bytes]) -> bytes:
    handle.seek(0)
    return handle.read()


def _drop_current_tables() -> str:
    """Tables newer than the backup (a later migration) would survive `--clean` and make the
    migrations that follow the restore fail: drop every table of the schema first. Django's
    own connection is closed so that it holds no lock on them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        names = [connection.ops.quote_name(row[0]) for row in cursor.fetchall()]
    connection.close()
    if not names:
        return "SELECT 1"  # an empty database
    return f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE"
