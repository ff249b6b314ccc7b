"""`cyclecrm import TYPE FILE`: import a CSV/XLSX file in this process (the same engine as the
background job), with a progress bar on stderr and a summary; `--json` ends stdout with one JSON
object. Running the same import again (same file content, type, settings and user) resumes an
unfinished one after its checkpoint."""

import gc
import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from cyclecrm.core.errors import CrmError
from cyclecrm.dataquality.imports.engine import summary
from cyclecrm.dataquality.imports.services import (
    check_ready,
    import_configure,
    import_create,
    import_find_resumable,
    import_run,
)
from cyclecrm.dataquality.models import DuplicatePolicy, ImportJob, ImportMode, ImportStatus
from cyclecrm.identity.models import User


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of records (contacts, accounts, leads, ...)."
    # The system checks import every URLconf and API schema (seconds of start-up) and an import
    # serves no request; `cyclecrm check` and the server run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("type", help="Record type: contact, account, lead, ...")
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument(
            "--mapping", help='JSON: {"columns": {"Header": "field"}, "options": {}}'
        )
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.VALID_ROWS)
        parser.add_argument(
            "--on-duplicate", choices=DuplicatePolicy.values, default=DuplicatePolicy.SKIP
        )
        parser.add_argument("--as", dest="username", help="Act as this user (default: first admin)")
        parser.add_argument("--json", action="store_true", help="End stdout with a JSON summary")
        parser.add_argument("--encoding", help="File encoding (default: detected)")
        parser.add_argument("--delimiter", help="CSV delimiter (default: detected); 'tab' for TAB")
        parser.add_argument("--preset", default="", help="Column preset, e.g. hubspot-contacts")
        parser.add_argument("--region", help="Default phone region, e.g. DE")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = _actor(opts["username"])
        mapping, options = _mapping_file(opts["mapping"])
        if opts["region"]:
            options["default_region"] = opts["region"]
        delimiter = (
            "\t" if (opts["delimiter"] or "").lower() in ("tab", "\\t") else opts["delimiter"]
        )
        try:
            job = self._job(actor, path, opts, mapping, options, delimiter)
            # Start-up objects (models, URL and API modules) never die: out of the collector's
            # generations, so its passes over the chunk's many young objects stay short.
            gc.freeze()
            job = import_run(job.pk, progress=self._progress)
        except CrmError as exc:
            raise CommandError(_message(exc)) from exc
        self.stderr.write("")
        self._report(job, as_json=opts["json"])
        if job.status != ImportStatus.DONE:
            raise CommandError(job.error or f"The import ended as {job.status}.")

    def _job(
        self,
        actor: User,
        path: Path,
        opts: dict[str, Any],
        mapping: dict[str, str],
        options: dict[str, Any],
        delimiter: str | None,
    ) -> ImportJob:
        found = import_find_resumable(
            actor=actor,
            record_type=opts["type"],
            sha256=_sha256(path),
            mapping=mapping,
            options=options,
            mode=opts["mode"],
            on_duplicate=opts["on_duplicate"],
            preset=opts["preset"],
        )
        if found is not None:
            self.stderr.write(f"Resuming import {found.pk} after row {found.rows_done + 1}.")
            return found
        with path.open("rb") as stream:
            job = import_create(
                actor=actor,
                record_type=opts["type"],
                file_name=path.name,
                stream=stream,
                encoding=opts["encoding"],
                delimiter=delimiter,
                preset=opts["preset"],
                options=options,
            )
        job = import_configure(
            actor=actor,
            job=job,
            version=job.version,
            mapping=mapping,
            mode=opts["mode"],
            on_duplicate=opts["on_duplicate"],
        )
        check_ready(actor, job)
        return job

    def _progress(self, job: ImportJob) -> None:
        total = job.rows_total or 0
        share = f" ({100 * job.rows_done / total:.0f}%)" if total else ""
        self.stderr.write(f"\rimport {job.pk}: {job.rows_done:,}/{total:,} rows{share}", ending="")
        self.stderr.flush()

    def _report(self, job: ImportJob, *, as_json: bool) -> None:
        counts = summary(job)
        self.stdout.write(
            f"Import {job.pk} {job.status}: read {counts['read']}, created {counts['created']}, "
            f"updated {counts['updated']}, skipped {counts['skipped']}, "
            f"rejected {counts['rejected']}."
        )
        if counts["rejected_file"]:
            self.stdout.write(f"Rejected rows: {counts['rejected_file']}")
        if as_json:
            self.stdout.write(json.dumps(counts))


def _actor(username: str | None) -> User:
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        return user
    admins = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(roles__name="admin")
    )
    user = admins.order_by("pk").first()
    if user is None:
        raise CommandError("No admin user; create one or pass --as USERNAME.")
    return user


def _mapping_file(name: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """`{"columns": {...}, "options": {...}}` or a flat `{"Header": "field"}`."""
    if not name:
        return {}, {}
    try:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read the mapping file: {exc}") from exc
    if not isinstance(data, dict):
        raise CommandError("The mapping file must hold a JSON object.")
    if "columns" in data and isinstance(data["columns"], dict):
        columns, options = data["columns"], data.get("options") or {}
    else:
        columns, options = data, {}
    if not all(isinstance(v, str) for v in columns.values()) or not isinstance(options, dict):
        raise CommandError('Columns map a header to a field name: {"E-mail": "email"}.')
    return {str(k): v for k, v in columns.items()}, dict(options)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _message(exc: CrmError) -> str:
    details = "; ".join(f"{name}: {' '.join(reasons)}" for name, reasons in exc.fields.items())
    return f"{exc.message} {details}".strip()
