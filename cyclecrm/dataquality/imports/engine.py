"""The import engine: read -> clean -> resolve -> match -> write, chunk by chunk.

Each chunk's inserts, updates, audit history and the job's checkpoint (`rows_done`, counts,
problems) commit in one transaction (ADR 0021), so a killed process leaves whole chunks and a
re-run continues after the checkpoint. In all-or-nothing mode the whole file is validated first
and then written in one transaction. No per-row domain event is sent (it would flood
automation); one `import.finished` event closes the run.
"""

import csv
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import CrmError
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import creation_changes, diff, snapshot
from cyclecrm.core.models import HistoryAction, HistoryEntry, Tag
from cyclecrm.core.signals import rows_changed_send
from cyclecrm.dataquality.imports import readers
from cyclecrm.dataquality.imports.cleaning import Cleaner, cleaner, resolved_options
from cyclecrm.dataquality.imports.selectors import import_fields, job_dir, job_file
from cyclecrm.dataquality.imports.targets import target as target_of
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey
from cyclecrm.dataquality.models import DuplicatePolicy, ImportJob, ImportMode, ImportStatus
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User

logger = logging.getLogger(__name__)
Progress = Callable[[ImportJob], None]
PROBLEMS_KEPT = 200
VALUE_SHOWN = 200
ERROR_COLUMN = "error"


class Cancelled(Exception):
    """Raised between chunks when the user cancelled; rolls back an all-or-nothing run."""


def chunk_rows() -> int:
    return int(settings.CYCLECRM.get("IMPORT_CHUNK_ROWS", 2000))


@dataclass
class Plan:
    """What a run needs, computed once: the target, headers and a cleaner per mapped column."""

    job: ImportJob
    actor: User
    target: ImportTarget
    headers: list[str]
    options: dict[str, Any]
    cells: list[tuple[int, str, Column, Cleaner]]
    required: list[tuple[str, Column]]
    # Owner id -> the owner's first team id, filled as owners are seen.
    teams: dict[int | None, int | None] = field(default_factory=dict)


def build_plan(job: ImportJob, actor: User) -> Plan:
    item = target_of(job.record_type)
    headers = readers.read_headers(job_file(job), job.file_format, job.encoding, job.delimiter)
    options = resolved_options(job.options)
    columns = {column.field: column for column in import_fields(job.record_type)}
    customs = {f"custom.{d.key}": d for d in definitions(job.record_type)}
    cells: list[tuple[int, str, Column, Cleaner]] = []
    used: set[str] = set()
    for index, header in enumerate(headers):
        name = job.mapping.get(header) or ""
        if name not in columns or name in used:
            continue
        used.add(name)
        column = columns[name]
        cells.append((index, header, column, cleaner(column, options, customs.get(name))))
    required = [(header, column) for _, header, column, _ in cells if column.required]
    return Plan(job, actor, item, headers, options, cells, required)


def clean_row(plan: Plan, table_row: readers.TableRow) -> CleanRow:
    cells = table_row.cells
    row = CleanRow(table_row.row, dict(zip(plan.headers, (_text(c) for c in cells), strict=False)))
    if table_row.error:
        row.reject("", "", table_row.error)
        return row
    count = len(cells)
    values = row.values
    for index, header, column, clean in plan.cells:
        value = cells[index] if index < count else None
        if value is None or (value.__class__ is str and not value.strip()):
            if column.required:
                row.reject(header, "", "Required; the cell is empty.")
            continue
        if value.__class__ is str and "\x00" in value:
            row.reject(header, value.replace("\x00", "")[:VALUE_SHOWN], "Contains a NUL character.")
            continue
        if value.__class__ is str and len(value) > 100_000:
            row.reject(
                header, value[:VALUE_SHOWN], f"The cell is too long ({len(value)} characters)."
            )
            continue
        try:
            values[column.field] = clean(value)
        except ValueError as exc:
            row.reject(header, value, str(exc) or "Not valid.")
    return row


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return cell if isinstance(cell, str) else str(cell)


@dataclass
class ChunkResult:
    created: list[Model] = field(default_factory=list)
    updated: dict[int, Model] = field(default_factory=dict)
    updated_fields: set[str] = field(default_factory=set)
    changes: dict[int, dict[str, list[Any]]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    skipped: int = 0
    rejected: list[CleanRow] = field(default_factory=list)


class _Pending:
    """A row's decision within a chunk: the instance it creates or updates."""

    def __init__(self, instance: Model, *, new: bool) -> None:
        self.instance = instance
        self.new = new


def process_chunk(plan: Plan, rows: list[CleanRow]) -> ChunkResult:
    """Resolve lookups, match duplicates and decide each row; nothing is written here."""
    ok = [row for row in rows if row.ok]
    _resolve(plan, ok)
    ok = [row for row in ok if row.ok]
    for row in ok:
        _fold(row)
    found = _existing(plan.target, ok)
    editable = (
        _editable_ids(plan, found) if plan.job.on_duplicate == DuplicatePolicy.UPDATE else set()
    )
    result = ChunkResult()
    local: dict[str, dict[tuple, _Pending]] = {key.name: {} for key in plan.target.match_keys}
    now = timezone.now()
    for row in ok:
        _decide(plan, row, found, editable, local, result, now)
    result.rejected = [row for row in rows if not row.ok]
    return result


def _resolve(plan: Plan, rows: list[CleanRow]) -> None:
    """The target's lookups and the owner, for a chunk of valid rows; a problem a target
    names by field is renamed to the file's column (what the user sees)."""
    plan.target.resolve(rows, actor=plan.actor, options=plan.options)
    _resolve_owners(plan, [row for row in rows if row.ok])
    headers = {column.field: header for _, header, column, _ in plan.cells}
    known = set(plan.headers)
    for row in rows:
        if any(p.column in headers and p.column not in known for p in row.problems):
            row.problems = [
                replace(p, column=headers[p.column])
                if p.column in headers and p.column not in known
                else p
                for p in row.problems
            ]


def _fold(row: CleanRow) -> None:
    """custom.<key> cells into one `custom` dict."""
    custom = {
        name[7:]: row.values.pop(name) for name in list(row.values) if name.startswith("custom.")
    }
    if custom:
        row.values["custom"] = custom


def _existing(item: ImportTarget, rows: list[CleanRow]) -> dict[str, dict[tuple, Model]]:
    found: dict[str, dict[tuple, Model]] = {}
    for key in item.match_keys:
        wanted = {parts for row in rows if (parts := key.of(row.values)) is not None}
        found[key.name] = item.find_existing(key, wanted)
    return found


def _editable_ids(plan: Plan, found: dict[str, dict[tuple, Model]]) -> set[int]:
    ids = {instance.pk for by_key in found.values() for instance in by_key.values()}
    if not ids:
        return set()
    model = plan.target.model
    allowed = access.restrict(model._default_manager.filter(pk__in=ids), plan.actor, Action.EDIT)
    return set(allowed.values_list("pk", flat=True))


def _match(
    item: ImportTarget,
    row: CleanRow,
    found: dict[str, dict[tuple, Model]],
    local: dict[str, dict[tuple, _Pending]],
) -> tuple[MatchKey | None, _Pending | None, list[tuple[MatchKey, tuple]]]:
    keys = []
    for key in item.match_keys:
        parts = key.of(row.values)
        if parts is None:
            continue
        keys.append((key, parts))
        earlier = local[key.name].get(parts)
        if earlier is not None:
            return key, earlier, keys
        instance = found[key.name].get(parts)
        if instance is not None:
            return key, _Pending(instance, new=False), keys
    return None, None, keys


def _decide(
    plan: Plan,
    row: CleanRow,
    found: dict[str, dict[tuple, Model]],
    editable: set[int],
    local: dict[str, dict[tuple, _Pending]],
    result: ChunkResult,
    now: dt.datetime,
) -> None:
    policy = plan.job.on_duplicate
    key, match, keys = _match(plan.target, row, found, local)
    tags = row.values.pop("tags", None)
    if match is not None and policy == DuplicatePolicy.SKIP:
        result.skipped += 1
        return
    if match is not None and key.name == "external_id" and policy == DuplicatePolicy.CREATE:
        row.reject(
            _header(plan, "external_id"),
            row.values.get("external_id"),
            "A record with this external_id exists; choose update or skip for duplicates.",
        )
        return
    if match is not None and policy == DuplicatePolicy.UPDATE:
        _update(plan, row, match, editable, result, now, tags)
        return
    instance = _build(plan, row.values, now)
    result.created.append(instance)
    if tags:
        result.tags[id(instance)] = tags
    pending = _Pending(instance, new=True)
    for item_key, parts in keys:
        local[item_key.name].setdefault(parts, pending)


def _header(plan: Plan, name: str) -> str:
    return next((header for _, header, column, _ in plan.cells if column.field == name), name)


def _update(
    plan: Plan,
    row: CleanRow,
    match: _Pending,
    editable: set[int],
    result: ChunkResult,
    now: dt.datetime,
    tags: list[str] | None,
) -> None:
    instance = match.instance
    if not match.new and instance.pk not in editable:
        row.reject("", "", f"You may not edit the existing record #{instance.pk} this row matches.")
        return
    values = dict(row.values)
    before = None if match.new else snapshot(instance)
    changed = plan.target.apply(instance, values)
    if not match.new and not getattr(instance, "external_id", None) and values.get("external_id"):
        instance.external_id = values["external_id"]
        changed.append("external_id")
    if tags:
        key = id(instance) if match.new else instance.pk
        result.tags[key] = list(dict.fromkeys([*result.tags.get(key, []), *tags]))
    if match.new:
        return
    if not changed and not tags:
        result.skipped += 1
        return
    instance.updated_by = plan.actor
    instance.updated_at = now
    if instance.pk not in result.updated:
        instance.version += 1
        result.changes[instance.pk] = diff(before, snapshot(instance))
    else:
        result.changes[instance.pk].update(diff(before, snapshot(instance)))
    result.updated[instance.pk] = instance
    result.updated_fields.update(changed)


def _build(plan: Plan, values: dict[str, Any], now: dt.datetime) -> Model:
    owner_id = values.pop("owner_id", plan.actor.pk)
    team_id = values.pop("team_id", None) or _team_of(plan, owner_id)
    instance = plan.target.build(values, actor=plan.actor)
    instance.owner_id = owner_id
    instance.team_id = team_id
    instance.created_by = plan.actor
    instance.updated_by = plan.actor
    instance.created_at = now
    instance.updated_at = now
    return instance


def _team_of(plan: Plan, owner_id: int | None) -> int | None:
    """The owner's first team (as record_create does), cached for the run."""
    if owner_id not in plan.teams:
        owner = User.objects.filter(pk=owner_id).first() if owner_id else None
        team = owner.teams.order_by("id").first() if owner else None
        plan.teams[owner_id] = team.pk if team else None
    return plan.teams[owner_id]


def _resolve_owners(plan: Plan, rows: list[CleanRow]) -> None:
    """`owner` (a username or an e-mail) -> `owner_id`, checked against who the actor may give
    records to: one query per chunk."""
    wanted = {row.values["owner"] for row in rows if row.values.get("owner")}
    users: dict[str, User] = {}
    if wanted:
        folded = {name.casefold() for name in wanted}
        for user in User.objects.filter(is_active=True):
            for name in (user.username, user.email):
                if name and name.casefold() in folded:
                    users.setdefault(name.casefold(), user)
    allowed: dict[int, bool] = {}
    for row in rows:
        name = row.values.pop("owner", None)
        if not name:
            continue
        user = users.get(name.casefold())
        header = _header(plan, "owner")
        if user is None:
            row.reject(header, name, "No active user with this username or e-mail.")
            continue
        if user.pk not in allowed:
            allowed[user.pk] = access.can_assign_owner(plan.actor, plan.job.record_type, user)
        if not allowed[user.pk]:
            row.reject(header, name, "You may not give records to this owner.")
            continue
        row.values["owner_id"] = user.pk


def write_chunk(plan: Plan, result: ChunkResult) -> None:
    """Insert, update, tag and record history for one decided chunk; call inside a transaction."""
    item = plan.target
    item.write_created(result.created)
    if result.updated:
        fields = result.updated_fields | {"version", "updated_at", "updated_by"}
        item.write_updated(list(result.updated.values()), fields)
    _write_tags(plan, result)
    _write_history(plan, result)


def _write_tags(plan: Plan, result: ChunkResult) -> None:
    if not result.tags:
        return
    by_pk: dict[int, list[str]] = {}
    for instance in result.created:
        if id(instance) in result.tags:
            by_pk[instance.pk] = result.tags[id(instance)]
    for key, names in result.tags.items():
        if key in result.updated:
            by_pk[key] = names
    if not by_pk:
        return
    names = {name for names in by_pk.values() for name in names}
    existing = {tag.name: tag.pk for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in sorted(names - set(existing))]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        existing = {tag.name: tag.pk for tag in Tag.objects.filter(name__in=names)}
    through = plan.target.model.tags.through
    source = f"{plan.target.model._meta.model_name}_id"
    links = [
        through(**{source: pk, "tag_id": existing[name]})
        for pk, tag_names in by_pk.items()
        for name in tag_names
    ]
    through.objects.bulk_create(links, ignore_conflicts=True)


def _write_history(plan: Plan, result: ChunkResult) -> None:
    """One history row per created or updated record, written in bulk and tagged with the
    import (request_id `import:<id>`)."""
    tag = f"import:{plan.job.pk}"
    actor = plan.actor
    now = timezone.now()
    entries = [
        HistoryEntry(
            record_type=plan.job.record_type,
            object_id=instance.pk,
            object_repr=str(instance)[:200],
            action=HistoryAction.CREATE,
            changes=creation_changes(instance, tags=result.tags.get(id(instance))),
            actor=actor,
            actor_name=actor.username,
            request_id=tag,
            at=now,
        )
        for instance in result.created
    ]
    entries.extend(
        HistoryEntry(
            record_type=plan.job.record_type,
            object_id=pk,
            object_repr=str(result.updated[pk])[:200],
            action=HistoryAction.UPDATE,
            changes=changes,
            actor=actor,
            actor_name=actor.username,
            request_id=tag,
            at=now,
        )
        for pk, changes in result.changes.items()
    )
    from cyclecrm.core.db.vendor import bulk_insert

    bulk_insert(HistoryEntry, entries)


# --- Rejected rows file ------------------------------------------------------------------


class RejectedFile:
    """rejected.csv: the original columns plus `error`. Rewritten to the checkpoint's count of
    rejected rows on resume, so rows of an uncommitted chunk are not listed twice."""

    def __init__(self, job: ImportJob, headers: list[str]) -> None:
        self.path = job_dir(job) / "rejected.csv"
        self.headers = headers
        self._truncate_to(job.rejected)
        fresh = not self.path.exists()
        self._handle = self.path.open("a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle)
        if fresh:
            self._writer.writerow([*headers, ERROR_COLUMN])

    def _truncate_to(self, keep: int) -> None:
        if not self.path.exists():
            return
        kept = self.path.with_suffix(".tmp")
        with (
            self.path.open(encoding="utf-8", newline="") as source,
            kept.open("w", encoding="utf-8", newline="") as out,
        ):
            writer = csv.writer(out)
            for record in islice(csv.reader(source), keep + 1):
                writer.writerow(record)
        kept.replace(self.path)

    def write(self, rows: list[CleanRow]) -> None:
        for row in rows:
            cells = [row.raw.get(header, "") for header in self.headers]
            self._writer.writerow([*cells, problems_text(row)])
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def problems_text(row: CleanRow) -> str:
    return "; ".join(
        f"{problem.column}: {problem.reason}" if problem.column else problem.reason
        for problem in row.problems
    )


# --- The run ------------------------------------------------------------------------------


def _data_rows(plan: Plan, skip: int) -> Iterator[readers.TableRow]:
    job = plan.job
    rows = readers.iter_rows(job_file(job), job.file_format, job.encoding, job.delimiter)
    return islice(rows, skip, None)


def _chunks(plan: Plan, skip: int) -> Iterator[list[CleanRow]]:
    size = chunk_rows()
    source = _data_rows(plan, skip)
    while batch := list(islice(source, size)):
        yield [clean_row(plan, table_row) for table_row in batch]


def preview_rows(job: ImportJob, *, actor: User, limit: int = 10) -> list[CleanRow]:
    """The first rows cleaned and resolved as the run would store them; nothing written."""
    plan = build_plan(job, actor)
    rows = [clean_row(plan, table_row) for table_row in islice(_data_rows(plan, 0), limit)]
    _resolve(plan, [row for row in rows if row.ok])
    return rows


def run(job_id: int, *, progress: Progress | None = None) -> ImportJob:
    """Run an import to the end (or resume it after its checkpoint)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
        return job
    actor = job.created_by
    if job.cancel_requested:
        return _finish(job, ImportStatus.CANCELLED)
    try:
        _check_rights(job, actor)
        _start(job)
        plan = build_plan(job, actor)
        if job.mode == ImportMode.ALL_OR_NOTHING:
            _run_all_or_nothing(plan, progress)
        else:
            _run_valid_rows(plan, progress)
    except Cancelled:
        job.refresh_from_db()
        return _finish(job, ImportStatus.CANCELLED)
    except (CrmError, readers.FileUnreadable) as exc:
        job.refresh_from_db()
        job.error = getattr(exc, "message", str(exc))
        return _finish(job, ImportStatus.FAILED)
    job.refresh_from_db()
    if job.mode == ImportMode.ALL_OR_NOTHING and job.rejected:
        job.error = f"{job.rejected} rows were rejected, so nothing was imported (all or nothing)."
        return _finish(job, ImportStatus.FAILED)
    return _finish(job, ImportStatus.DONE)


def _check_rights(job: ImportJob, actor: User | None) -> None:
    from cyclecrm.core.errors import Forbidden

    if actor is None or not actor.is_active:
        raise Forbidden("The user who created this import is no longer active.")
    if access.level(actor, job.record_type, Action.CREATE) == "none":
        raise Forbidden(f"You may not create {job.record_type} records.")


def _start(job: ImportJob) -> None:
    updates: dict[str, Any] = {"status": ImportStatus.RUNNING}
    if job.started_at is None:
        updates["started_at"] = timezone.now()
    if job.rows_total is None:
        updates["rows_total"] = readers.count_rows(job_file(job), job.file_format)
    ImportJob.objects.filter(pk=job.pk).update(**updates)
    for name, value in updates.items():
        setattr(job, name, value)


def _run_valid_rows(plan: Plan, progress: Progress | None) -> None:
    job = plan.job
    rejected_file = RejectedFile(job, plan.headers)
    try:
        for rows in _chunks(plan, job.rows_done):
            _raise_if_cancelled(job)
            with transaction.atomic():
                result = process_chunk(plan, rows)
                write_chunk(plan, result)
                rejected_file.write(result.rejected)
                _checkpoint(job, rows, result)
            rows_changed_send(plan.target.model)
            if progress:
                progress(job)
    finally:
        rejected_file.close()


def _run_all_or_nothing(plan: Plan, progress: Progress | None) -> None:
    """Validate every row first (cleaning and lookups; nothing written); write only when no row
    was rejected, all in one transaction."""
    job = plan.job
    _reset_counts(job)
    rejected_file = RejectedFile(job, plan.headers)
    rejected = read = 0
    problems: list[dict[str, Any]] = []
    try:
        for rows in _chunks(plan, 0):
            _raise_if_cancelled(job)
            read += len(rows)
            _resolve(plan, [row for row in rows if row.ok])
            bad = [row for row in rows if not row.ok]
            rejected_file.write(bad)
            rejected += len(bad)
            _keep_problems(problems, bad)
    finally:
        rejected_file.close()
    if rejected:
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=read, rejected=rejected, problems=problems
        )
        return
    with transaction.atomic():
        for rows in _chunks(plan, 0):
            _raise_if_cancelled(job)
            result = process_chunk(plan, rows)
            write_chunk(plan, result)
            _checkpoint(job, rows, result)
            if progress:
                progress(job)
    rows_changed_send(plan.target.model)


def _reset_counts(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        rows_done=0, created=0, updated=0, skipped=0, rejected=0, problems=[]
    )
    job.rows_done = job.created = job.updated = job.skipped = job.rejected = 0
    job.problems = []


def _raise_if_cancelled(job: ImportJob) -> None:
    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise Cancelled


def _keep_problems(kept: list[dict[str, Any]], rows: list[CleanRow]) -> None:
    for row in rows:
        for problem in row.problems:
            if len(kept) >= PROBLEMS_KEPT:
                return
            item = problem.as_dict()
            item["value"] = item["value"][:VALUE_SHOWN]
            kept.append(item)


def _checkpoint(job: ImportJob, rows: list[CleanRow], result: ChunkResult) -> None:
    """Advance the job's counters; inside the chunk's transaction."""
    job.rows_done += len(rows)
    job.created += len(result.created)
    job.updated += len(result.updated)
    job.skipped += result.skipped
    job.rejected += len(result.rejected)
    if len(job.problems) < PROBLEMS_KEPT:
        _keep_problems(job.problems, result.rejected)
    fields = ["rows_done", "created", "updated", "skipped", "rejected", "problems"]
    ImportJob.objects.filter(pk=job.pk).update(**{name: getattr(job, name) for name in fields})


def _finish(job: ImportJob, status: str) -> ImportJob:
    job.status = status
    job.finished_at = timezone.now()
    if job.rows_total is None or status == ImportStatus.DONE:
        job.rows_total = job.rows_done
    job.save(update_fields=["status", "finished_at", "rows_total", "error"])
    actor_id = job.created_by_id
    emit(
        Event(
            "import.finished",
            "import",
            job.pk,
            actor_id,
            {
                "record_type": job.record_type,
                "status": status,
                "read": job.rows_done,
                "created": job.created,
                "updated": job.updated,
                "skipped": job.skipped,
                "rejected": job.rejected,
            },
        )
    )
    return job


def summary(job: ImportJob) -> dict[str, Any]:
    """The counts the CLI and API report."""
    path = job_dir(job) / "rejected.csv"
    return {
        "import_id": job.pk,
        "status": job.status,
        "read": job.rows_done,
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "rejected": job.rejected,
        "rejected_file": str(path) if job.rejected and path.exists() else None,
    }
