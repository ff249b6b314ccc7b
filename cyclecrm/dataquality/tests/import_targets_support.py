"""Helpers for the import target and preset tests: run one import of a file to the end through
the services (upload, configure, start, run), as the API and the CLI do."""

import io
from pathlib import Path
from typing import Any

from cyclecrm.dataquality.imports import services
from cyclecrm.dataquality.models import ImportJob
from cyclecrm.identity.models import User

FILES = Path(__file__).parent / "files"


def run_import(
    actor: User,
    record_type: str,
    content: str | bytes,
    *,
    name: str = "data.csv",
    preset: str = "",
    mapping: dict[str, str] | None = None,
    on_duplicate: str = "update",
    options: dict[str, Any] | None = None,
) -> ImportJob:
    data = content.encode("utf-8") if isinstance(content, str) else content
    job = services.import_create(
        actor=actor,
        record_type=record_type,
        file_name=name,
        stream=io.BytesIO(data),
        preset=preset,
        options=options,
    )
    job = services.import_configure(
        actor=actor, job=job, mapping=mapping, on_duplicate=on_duplicate, version=job.version
    )
    services.import_start(actor=actor, job=job)
    return services.import_run(job.pk)


def run_file(actor: User, record_type: str, file_name: str, **kwargs: Any) -> ImportJob:
    return run_import(
        actor, record_type, (FILES / file_name).read_bytes(), name=file_name, **kwargs
    )


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "rejected": job.rejected,
    }


def problem(job: ImportJob, row: int) -> dict[str, Any]:
    """The first problem recorded for a file row."""
    return next(item for item in job.problems if item["row"] == row)
