"""CSV export of a permission-scoped queryset: hidden fields never leave, custom fields become
`custom.<key>` columns, and rows stream in chunks so large exports use flat memory."""

import csv
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet

from cyclecrm.core.custom_fields import definitions
from cyclecrm.identity.access import access_for

EXPORT_CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_columns(actor: Any, record_type: str, base_columns: Sequence[str]) -> list[str]:
    hidden = access_for(actor).hidden_fields(record_type)
    columns = [name for name in base_columns if name.removesuffix("_id") not in hidden]
    columns += [
        f"custom.{field.key}"
        for field in definitions(record_type)
        if f"custom.{field.key}" not in hidden
    ]
    return columns


def _cell(row: Any, column: str) -> str:
    if column.startswith("custom."):
        value = (row.custom or {}).get(column[7:])
    elif column == "tags":
        value = ";".join(tag.name for tag in row.tags.all())
    else:
        value = getattr(row, column)
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def csv_lines(queryset: QuerySet, columns: Sequence[str]) -> Iterator[str]:
    """Yields CSV text line by line; iterate it in a StreamingHttpResponse or write it to a file."""
    writer = csv.writer(_Echo())
    yield writer.writerow(columns)
    for row in queryset.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow([sanitize_cell(_cell(row, column)) for column in columns])


def sanitize_cell(text: str) -> str:
    """Defuse spreadsheet formula injection: a cell starting with = + - @ is quoted as text."""
    if text and text[0] in "=+-@\t\r" and not _looks_numeric(text):
        return "'" + text
    return text


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
