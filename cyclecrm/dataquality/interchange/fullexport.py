"""The full export: a zip with `<type>.csv` and `<type>.jsonl` for every business record type
and a `manifest.json` (schema version, time, row counts, columns).

Rows are read in chunks and written straight into the zip members, so memory stays flat
whatever the data size. The zip is written under a temporary name and renamed when complete:
a crash leaves no half file that could be downloaded.
"""

import io
import json
import os
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from cyclecrm.core.export import EXPORT_CHUNK, cell_value, csv_lines, export_columns
from cyclecrm.core.models import BaseRecord
from cyclecrm.core.registry import RecordType, record_types
from cyclecrm.identity import access
from cyclecrm.identity.models import Action

SCHEMA_VERSION = 1
EXPORT_DIR = "exports"


def exportable_types() -> list[RecordType]:
    """Business records (BaseRecord subclasses): users, tokens and settings are not data."""
    return sorted(
        (item for item in record_types().values() if issubclass(item.model, BaseRecord)),
        key=lambda item: item.key,
    )


def full_columns(actor: Any, rtype: RecordType) -> list[str]:
    """Every stored field (foreign keys as `<name>_id`), tags, then `custom.<key>` columns."""
    names = [field.attname for field in rtype.model._meta.concrete_fields if field.name != "custom"]
    names.append("tags")
    return export_columns(actor, rtype.key, names)


def type_queryset(actor: Any, rtype: RecordType) -> QuerySet:
    queryset = access.restrict(rtype.model.objects.all(), actor, Action.EXPORT)
    return queryset.prefetch_related("tags").order_by("pk")


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def jsonl_lines(queryset: QuerySet, columns: list[str]) -> Any:
    for row in queryset.iterator(chunk_size=EXPORT_CHUNK):
        record = {column: _json_value(cell_value(row, column)) for column in columns}
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_member(archive: zipfile.ZipFile, name: str, lines: Any) -> int:
    count = -1
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        for line in lines:
            text.write(line)
            count += 1
    return count


def export_path(pk: int) -> Path:
    folder = settings.DATA_DIR / EXPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"full-export-{pk}.zip"


def write_full_export(
    actor: Any, target: Path, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, Any]:
    """Writes the zip to `target` (atomically) and returns the manifest."""
    types = exportable_types()
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "started_at": timezone.now().isoformat(),
        "types": {},
    }
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, rtype in enumerate(types, start=1):
            columns = full_columns(actor, rtype)
            queryset = type_queryset(actor, rtype)
            rows = _write_member(archive, f"{rtype.key}.csv", csv_lines(queryset, columns))
            _write_member(archive, f"{rtype.key}.jsonl", ["", *jsonl_lines(queryset, columns)])
            manifest["types"][rtype.key] = {"label": rtype.label, "rows": rows, "columns": columns}
            if progress is not None:
                progress(rtype.key, index, len(types))
        manifest["finished_at"] = timezone.now().isoformat()
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    os.replace(partial, target)
    return manifest
