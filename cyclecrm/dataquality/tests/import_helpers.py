"""Helpers of the import engine tests: run a whole import from bytes, synchronously."""

import io
from typing import Any

from cyclecrm.dataquality.imports.services import import_configure, import_create, import_run
from cyclecrm.dataquality.models import ImportJob


def run_import(
    actor: Any,
    content: bytes | str,
    *,
    record_type: str = "contact",
    file_name: str = "people.csv",
    mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    mode: str | None = None,
    on_duplicate: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ImportJob:
    data = content.encode("utf-8") if isinstance(content, str) else content
    job = import_create(
        actor=actor,
        record_type=record_type,
        file_name=file_name,
        stream=io.BytesIO(data),
        encoding=encoding,
        delimiter=delimiter,
        options=options,
    )
    import_configure(
        actor=actor,
        job=job,
        mapping=mapping,
        mode=mode,
        on_duplicate=on_duplicate,
        version=job.version,
    )
    return import_run(job.pk)


def use_tmp_data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
