"""Writes of imports; every function takes the acting user (the import job runs as its creator).

An import is created from an uploaded file (stored under DATA_DIR/imports/<id>/), configured
(mapping, options, mode, duplicate policy), started (a Huey job) and may be cancelled. The work
itself is `import_run`, shared by the job and the CLI (see engine.py).
"""

import hashlib
import re
import shutil
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cyclecrm.core.errors import Conflict, Forbidden, ValidationFailed
from cyclecrm.core.records import claim_version
from cyclecrm.dataquality.imports import readers
from cyclecrm.dataquality.imports.mapping import apply_override, check_mapping, suggest_mapping
from cyclecrm.dataquality.imports.selectors import (
    import_fields,
    job_dir,
    job_file,
    preset_get,
)
from cyclecrm.dataquality.imports.targets import TARGETS
from cyclecrm.dataquality.models import (
    DuplicatePolicy,
    ImportJob,
    ImportMode,
    ImportStatus,
    SavedMapping,
)
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User

Progress = Callable[[ImportJob], None]
OPTION_KEYS = {"default_region", "date_order", "decimal_separator"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_UPLOAD_BYTES = 2 * 1024**3


def _require_importer(actor: User, record_type: str) -> None:
    if record_type not in TARGETS:
        raise ValidationFailed(
            fields={"record_type": [f"Choose one of: {', '.join(sorted(TARGETS))}."]}
        )
    if access.level(actor, "import", Action.CREATE) == "none":
        raise Forbidden("You may not import data.")
    if access.level(actor, record_type, Action.CREATE) == "none":
        raise Forbidden(f"You may not create {record_type} records, so you may not import them.")


def _require_editable(actor: User, job: ImportJob) -> None:
    if not access.can(actor, Action.EDIT, job):
        raise Forbidden("You may not change this import.")


def _check_options(options: dict[str, Any] | None) -> dict[str, Any]:
    options = dict(options or {})
    errors: dict[str, list[str]] = {}
    for key in sorted(set(options) - OPTION_KEYS):
        errors[f"options.{key}"] = [f"Unknown option; known: {', '.join(sorted(OPTION_KEYS))}."]
    region = options.get("default_region")
    if region:
        import phonenumbers

        region = str(region).upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            errors["options.default_region"] = [f"{region!r} is not a region code such as DE."]
        options["default_region"] = region
    if options.get("date_order") not in (None, "", "dmy", "mdy", "ymd"):
        errors["options.date_order"] = ["Choose dmy, mdy or ymd."]
    if options.get("decimal_separator") not in (None, "", ".", ","):
        errors["options.decimal_separator"] = ["Choose '.' or ','."]
    if errors:
        raise ValidationFailed(fields=errors)
    return {key: value for key, value in options.items() if value not in (None, "")}


def _check_choice(name: str, value: str | None, choices: Any) -> None:
    if value is not None and value not in choices.values:
        raise ValidationFailed(fields={name: [f"Choose one of: {', '.join(choices.values)}."]})


def _check_csv_dialect(encoding: str | None, delimiter: str | None) -> None:
    import codecs

    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValidationFailed(
                fields={"encoding": [f"Unknown encoding {encoding!r}."]}
            ) from None
    if delimiter and delimiter not in readers.DELIMITERS and len(delimiter) != 1:
        raise ValidationFailed(fields={"delimiter": ["One character, e.g. , ; | or a tab."]})


def import_create(
    *,
    actor: User,
    record_type: str,
    file_name: str,
    stream: IO[bytes],
    encoding: str | None = None,
    delimiter: str | None = None,
    preset: str = "",
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Store the upload, detect its encoding and delimiter, read the headers and suggest a
    mapping (the preset's, else by header names)."""
    _require_importer(actor, record_type)
    _check_csv_dialect(encoding, delimiter)
    options = _check_options(options)
    chosen = preset_get(preset, record_type) if preset else None
    if preset and chosen is None:
        raise ValidationFailed(fields={"preset": [f"No preset {preset!r} for {record_type}."]})
    if not file_name:
        raise ValidationFailed(fields={"file": ["Choose a file."]})
    job = ImportJob.objects.create(
        record_type=record_type,
        file_name=file_name[:255],
        file_format=readers.file_format(file_name),
        preset=preset,
        options=options,
        created_by=actor,
    )
    try:
        _store_upload(job, stream)
        _inspect(job, encoding=encoding, delimiter=delimiter)
    except (readers.FileUnreadable, ValidationFailed) as exc:
        shutil.rmtree(job_dir(job), ignore_errors=True)
        job.delete()
        if isinstance(exc, ValidationFailed):
            raise
        raise ValidationFailed(fields={"file": [str(exc)]}) from exc
    headers = readers.read_headers(job_file(job), job.file_format, job.encoding, job.delimiter)
    suggested = suggest_mapping(headers, import_fields(record_type))
    job.mapping = apply_override(headers, suggested, chosen.mapping if chosen else None)
    job.save(update_fields=["file_path", "file_sha256", "encoding", "delimiter", "mapping"])
    return job


def _store_upload(job: ImportJob, stream: IO[bytes]) -> None:
    folder = job_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    name = _SAFE_NAME.sub("_", job.file_name).strip("._") or "upload"
    path = folder / f"source-{name}"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        while block := stream.read(1 << 20):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                raise ValidationFailed(fields={"file": ["The file is larger than 2 GB."]})
            digest.update(block)
            out.write(block)
    if size == 0:
        raise ValidationFailed(fields={"file": ["The file is empty."]})
    job.file_path = str(path.relative_to(settings.DATA_DIR))
    job.file_sha256 = digest.hexdigest()


def _inspect(job: ImportJob, *, encoding: str | None, delimiter: str | None) -> None:
    path = job_file(job)
    if job.file_format == "xlsx":
        job.encoding, job.delimiter = "", ""
        readers.read_headers(path, "xlsx", "", "")
        return
    job.encoding = encoding or readers.detect_encoding(path)
    job.delimiter = delimiter or readers.detect_delimiter(path, job.encoding)
    if not readers.read_headers(path, "csv", job.encoding, job.delimiter):
        raise ValidationFailed(fields={"file": ["The file has no header row."]})


def import_configure(
    *,
    actor: User,
    job: ImportJob,
    version: int | None,
    mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    mode: str | None = None,
    on_duplicate: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ImportJob:
    """Change a draft import. A new encoding or delimiter re-reads the headers and re-suggests
    the mapping for headers the user has not mapped. `version` is the job's version read."""
    _require_editable(actor, job)
    if job.status != ImportStatus.DRAFT:
        raise Conflict("This import has started; its settings can no longer change.")
    _check_choice("mode", mode, ImportMode)
    _check_choice("on_duplicate", on_duplicate, DuplicatePolicy)
    _check_csv_dialect(encoding, delimiter)
    if options is not None:
        job.options = _check_options(options)
    job.mode = mode or job.mode
    job.on_duplicate = on_duplicate or job.on_duplicate
    if job.file_format == "csv" and (encoding or delimiter):
        job.encoding = encoding or job.encoding
        job.delimiter = delimiter or job.delimiter
        headers = readers.read_headers(job_file(job), "csv", job.encoding, job.delimiter)
        job.mapping = apply_override(
            headers, suggest_mapping(headers, import_fields(job.record_type)), job.mapping
        )
    if mapping is not None:
        headers = readers.read_headers(job_file(job), job.file_format, job.encoding, job.delimiter)
        unknown = sorted(set(mapping) - set(headers))
        if unknown:
            raise ValidationFailed(
                fields={f"mapping.{name}": ["No such column in the file."] for name in unknown}
            )
        job.mapping = apply_override(headers, job.mapping, mapping)
    with transaction.atomic():
        claim_version(job, version)
        job.save()
    return job


def check_ready(actor: User, job: ImportJob) -> None:
    """Raise ValidationFailed naming what keeps the import from running."""
    columns = import_fields(job.record_type)
    errors = check_mapping(job.mapping, columns)
    locked = access.access_for(actor).readonly_fields(job.record_type)
    for header, field in job.mapping.items():
        if field and field in locked:
            errors.setdefault(f"mapping.{header}", []).append(f"You may not change {field!r}.")
    if errors:
        raise ValidationFailed("The mapping is not complete.", fields=errors)


def import_start(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue the import as a background job."""
    from cyclecrm.dataquality.imports.tasks import import_run_task

    _require_editable(actor, job)
    _require_importer(actor, job.record_type)
    if job.status != ImportStatus.DRAFT:
        raise Conflict("This import has already been started.")
    check_ready(actor, job)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.DRAFT).update(
        status=ImportStatus.QUEUED
    )
    if not updated:
        raise Conflict("This import has already been started.")
    job.status = ImportStatus.QUEUED

    def enqueue() -> None:
        result = import_run_task(job.pk)
        task_id = getattr(result, "id", "") or ""
        ImportJob.objects.filter(pk=job.pk).update(task_id=task_id)

    transaction.on_commit(enqueue)
    return job


def import_cancel(*, actor: User, job: ImportJob) -> ImportJob:
    """Ask a running import to stop after its current chunk; a draft or queued one stops now."""
    _require_editable(actor, job)
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
        raise Conflict("This import has already finished.")
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.DRAFT, ImportStatus.QUEUED]
    ).update(status=ImportStatus.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def import_run(job_id: int, *, progress: Progress | None = None) -> ImportJob:
    """Run (or resume after its checkpoint) an import; see engine.run."""
    from cyclecrm.dataquality.imports.engine import run

    return run(job_id, progress=progress)


def mapping_save(
    *,
    actor: User,
    name: str,
    record_type: str,
    mapping: dict[str, str],
    options: dict[str, Any] | None = None,
) -> SavedMapping:
    """Save (or replace, by name and type) a mapping for later files of the same shape."""
    _require_importer(actor, record_type)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": ["Give the mapping a name."]})
    if len(name) > 100:
        raise ValidationFailed(fields={"name": ["At most 100 characters."]})
    known = {column.field for column in import_fields(record_type)}
    bad = {h: [f"Unknown field {f!r}."] for h, f in (mapping or {}).items() if f and f not in known}
    if bad:
        raise ValidationFailed(fields={f"mapping.{header}": msg for header, msg in bad.items()})
    options = _check_options(options)
    try:
        saved, _ = SavedMapping.objects.update_or_create(
            record_type=record_type,
            name=name,
            defaults={"mapping": dict(mapping or {}), "options": options, "created_by": actor},
        )
    except IntegrityError as exc:
        raise ValidationFailed(fields={"name": ["A mapping with this name exists."]}) from exc
    return saved


def mapping_delete(*, actor: User, mapping: SavedMapping) -> None:
    if mapping.created_by_id != actor.pk and not actor.is_superuser:
        raise Forbidden("Only its author or an admin may delete this mapping.")
    mapping.delete()


def import_find_resumable(
    *,
    actor: User,
    record_type: str,
    sha256: str,
    mapping: dict[str, str] | None,
    options: dict[str, Any] | None,
    mode: str,
    on_duplicate: str,
    preset: str = "",
) -> ImportJob | None:
    """An unfinished import of the same file (by content), type and settings by the same user:
    running the same import again resumes it after its checkpoint instead of starting over."""
    from cyclecrm.dataquality.imports.readers import read_headers

    wanted_options = _check_options(options)
    chosen = preset_get(preset, record_type) if preset else None
    for job in ImportJob.objects.filter(
        created_by=actor,
        record_type=record_type,
        file_sha256=sha256,
        status__in=[ImportStatus.DRAFT, ImportStatus.QUEUED, ImportStatus.RUNNING],
        mode=mode,
        on_duplicate=on_duplicate,
        preset=preset,
    ).order_by("-created_at", "-id"):
        headers = read_headers(job_file(job), job.file_format, job.encoding, job.delimiter)
        expected = apply_override(
            headers, suggest_mapping(headers, import_fields(record_type)), chosen and chosen.mapping
        )
        expected = apply_override(headers, expected, mapping)
        if job.mapping == expected and job.options == wanted_options:
            return job
    return None
