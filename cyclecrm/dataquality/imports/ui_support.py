"""What the import page and API share at the boundary: checking an upload before the engine sees
it (size and kind by content, not by name), and turning the job into the figures both show."""

import itertools
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from charset_normalizer import from_bytes
from django.conf import settings

from cyclecrm.core.errors import UploadTooLarge, ValidationFailed
from cyclecrm.dataquality.imports import selectors
from cyclecrm.dataquality.imports.readers import iter_rows
from cyclecrm.dataquality.models import ImportJob, ImportStatus, SavedMapping

ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
# Enough of the file to tell text from binary; charset detection on more is only slower.
SNIFF_BYTES = 64 * 1024
BINARY_MAGIC = (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"GIF8", b"\x7fELF", b"\xd0\xcf\x11\xe0")
FINISHED = {ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED}


def max_upload_bytes() -> int:
    return int(settings.CYCLECRM.get("IMPORT_MAX_UPLOAD_MB", 200)) * 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    file_format: str  # "csv" or "xlsx"


def check_upload(name: str, size: int | None, stream: IO[bytes]) -> CheckedUpload:
    """Refuse a file the importer cannot read, before it is stored: too large (413), a name
    other than .csv/.tsv/.txt/.xlsx, or content that is neither text nor an XLSX workbook
    (422 on `file`). The stream is left at its start."""
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise UploadTooLarge(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is {limit // 1024 // 1024} MB.",
            fields={"file": [f"At most {limit // 1024 // 1024} MB."]},
        )
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationFailed(
            "Upload a CSV, TSV, TXT or XLSX file.",
            fields={"file": [f"Unsupported file type {suffix or '(none)'}."]},
        )
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if suffix == ".xlsx":
        if not _is_xlsx(stream):
            raise ValidationFailed(fields={"file": ["This is not an Excel (.xlsx) workbook."]})
        stream.seek(0)
        return CheckedUpload("xlsx")
    if not _is_text(head):
        raise ValidationFailed(fields={"file": ["This file is not text (CSV/TSV)."]})
    return CheckedUpload("csv")


def _is_xlsx(stream: IO[bytes]) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _is_text(head: bytes) -> bool:
    """Text in some encoding: charset detection finds one and the decoded sample holds almost
    no control characters (binary files decode "successfully" in single-byte encodings)."""
    if not head.strip() or head.startswith(BINARY_MAGIC):
        return False
    best = from_bytes(head).best()
    if best is None:
        return False
    text = str(best)
    controls = sum(
        1 for char in text if unicodedata.category(char) == "Cc" and char not in "\t\r\n\f"
    )
    return controls <= len(text) // 100


def check_mapping_fields(record_type: str, mapping: dict[str, str] | None) -> None:
    """422 naming `mapping.<column>` for each column mapped to a field the type does not have
    (the engine only checks this on start)."""
    if not mapping:
        return
    known = {column.field for column in selectors.import_fields(record_type)}
    unknown = {
        f"mapping.{header}": [f"Unknown field {field!r}."]
        for header, field in mapping.items()
        if field and field not in known
    }
    if unknown:
        raise ValidationFailed(fields=unknown)


def percent(job: ImportJob) -> int:
    if job.status == ImportStatus.DONE:
        return 100
    if not job.rows_total:
        return 0
    return min(100, job.rows_done * 100 // job.rows_total)


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "read": job.rows_done,
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "rejected": job.rejected,
    }


def is_finished(job: ImportJob) -> bool:
    return job.status in FINISHED


def saved_mapping_get(*, actor: Any, pk: int, record_type: str | None = None) -> SavedMapping:
    """A saved mapping to apply to an upload; one of another record type is refused on
    `mapping_id` rather than applied to fields it does not name."""
    mapping = selectors.mapping_get(actor=actor, pk=pk)
    if record_type and mapping.record_type != record_type:
        reason = f"This mapping is for {mapping.record_type}, not {record_type}."
        raise ValidationFailed(fields={"mapping_id": [reason]})
    return mapping


def column_samples(*, actor: Any, job: ImportJob, rows: int = 3) -> dict[str, list[str]]:
    """Up to `rows` non-empty values per source column, shown beside the mapping selects."""
    headers = selectors.import_headers(actor=actor, job=job)
    samples: dict[str, list[str]] = {header: [] for header in headers}
    source = iter_rows(selectors.job_file(job), job.file_format, job.encoding, job.delimiter)
    for row in itertools.islice(source, rows):
        for header, cell in zip(headers, row.cells, strict=False):
            text = "" if cell is None else str(cell).strip()
            if text:
                samples[header].append(text)
    return samples
