"""Reads of imports, permission-scoped."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import NotFound
from cyclecrm.dataquality.imports.targets import TARGETS, presets, target
from cyclecrm.dataquality.imports.targets.base import Column, Preset, Problem
from cyclecrm.dataquality.models import ImportJob, SavedMapping
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User


@dataclass
class PreviewRow:
    row: int
    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Preview:
    headers: list[str]
    mapping: dict[str, str]
    rows: list[PreviewRow]


def import_list(
    *,
    actor: User,
    record_type: str | None = None,
    status: str | None = None,
    action: str = Action.READ,
) -> QuerySet[ImportJob]:
    queryset = access.restrict(ImportJob.objects.all(), actor, action)
    if record_type:
        queryset = queryset.filter(record_type=record_type)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("created_by").order_by("-created_at", "-id")


def import_get(*, actor: User, pk: Any, action: str = Action.READ) -> ImportJob:
    job = import_list(actor=actor, action=action).filter(pk=pk).first()
    if job is None:
        raise NotFound("No such import.")
    return job


def job_dir(job: ImportJob) -> Path:
    return settings.DATA_DIR / "imports" / str(job.pk)


def job_file(job: ImportJob) -> Path:
    return settings.DATA_DIR / job.file_path


def import_headers(*, actor: User, job: ImportJob) -> list[str]:
    from cyclecrm.dataquality.imports.readers import read_headers

    return read_headers(job_file(job), job.file_format, job.encoding, job.delimiter)


def import_preview(*, actor: User, job: ImportJob, rows: int = 10) -> Preview:
    """The first `rows` data rows as they would be stored with the job's mapping and options
    (lookups resolved, no duplicate matching, nothing written)."""
    from cyclecrm.dataquality.imports.engine import preview_rows

    headers = import_headers(actor=actor, job=job)
    cleaned = preview_rows(job, actor=actor, limit=rows)
    return Preview(
        headers=headers,
        mapping=dict(job.mapping),
        rows=[PreviewRow(row.row, row.values, list(row.problems)) for row in cleaned],
    )


def import_fields(record_type: str) -> list[Column]:
    """The importable fields of a type: the target's columns, then its active custom fields
    as `custom.<key>`."""
    columns = list(target(record_type).columns)
    for custom in definitions(record_type):
        columns.append(
            Column(
                f"custom.{custom.key}",
                custom.label,
                "custom",
                required=custom.required,
                synonyms=(custom.key,),
            )
        )
    return columns


def import_types(*, actor: User) -> list[tuple[str, str]]:
    """(record type, label) of the targets the actor may create records of."""
    return [
        (key, item.label)
        for key, item in sorted(TARGETS.items())
        if access.level(actor, key, Action.CREATE) != "none"
    ]


def rejected_rows_path(*, actor: User, job: ImportJob) -> Path | None:
    path = job_dir(job) / "rejected.csv"
    return path if job.rejected and path.exists() else None


def mapping_list(*, actor: User, record_type: str | None = None) -> QuerySet[SavedMapping]:
    queryset = SavedMapping.objects.select_related("created_by")
    if record_type:
        queryset = queryset.filter(record_type=record_type)
    return queryset.order_by("record_type", "name")


def mapping_get(*, actor: User, pk: Any) -> SavedMapping:
    found = SavedMapping.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound("No such saved mapping.")
    return found


def preset_list(record_type: str | None = None) -> list[Preset]:
    return [item for item in presets() if record_type in (None, item.record_type)]


def preset_get(key: str, record_type: str) -> Preset | None:
    return next((item for item in preset_list(record_type) if item.key == key), None)
