"""Export of a permission-scoped queryset as CSV or XLSX: hidden fields never leave, custom
fields become `custom.<key>` columns, and rows stream in chunks so large exports use flat memory.

CSV is streamed line by line to the client. XLSX cannot be streamed as it is written (a zip
whose directory comes last), so openpyxl's write-only workbook writes rows one by one into a
temporary file, which is then streamed; memory stays flat either way.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import IO, Any, Literal

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity.access import access_for

EXPORT_CHUNK = 2000
FORMATS = ("csv", "xlsx")
ExportFormat = Literal["csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limit on a cell's text; longer values are cut rather than corrupting the file.
XLSX_CELL_LIMIT = 32767


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


def parse_format(value: str | None) -> str:
    """`csv` (the default) or `xlsx`; anything else is a 422 naming the `format` parameter."""
    fmt = (value or "csv").strip().lower()
    if fmt not in FORMATS:
        message = f"Choose one of: {', '.join(FORMATS)}."
        raise ValidationFailed(message, fields={"format": [message]})
    return fmt


def cell_value(row: Any, column: str) -> Any:
    """The raw value of one export column (tags and lists joined with `;`)."""
    if column.startswith("custom."):
        value = (row.custom or {}).get(column[7:])
    elif column == "tags":
        value = ";".join(tag.name for tag in row.tags.all())
    else:
        value = getattr(row, column)
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return value


def _cell(row: Any, column: str) -> str:
    value = cell_value(row, column)
    if value is None:
        return ""
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


def xlsx_cell(value: Any) -> Any:
    """A value as a spreadsheet cell: numbers and dates keep their type (datetimes in the
    site's time zone, as Excel has none), text is formula-safe and cut to Excel's limit."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return sanitize_cell(str(value))[:XLSX_CELL_LIMIT]


def write_xlsx(queryset: QuerySet, columns: Sequence[str], target: IO[bytes]) -> int:
    """Writes the rows as a one-sheet workbook into `target`; returns the row count."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append(list(columns))
    count = 0
    for row in queryset.iterator(chunk_size=EXPORT_CHUNK):
        sheet.append([xlsx_cell(cell_value(row, column)) for column in columns])
        count += 1
    workbook.save(target)
    return count


def export_response(
    queryset: QuerySet, columns: Sequence[str], basename: str, fmt: str = "csv"
) -> HttpResponseBase:
    """The rows as a download: CSV streamed, XLSX through a temporary file."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "xlsx":
        target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
        write_xlsx(queryset, columns, target)
        target.seek(0)
        response: HttpResponseBase = FileResponse(
            target, as_attachment=True, filename=f"{basename}-{stamp}.xlsx", content_type=XLSX_TYPE
        )
        return response
    response = StreamingHttpResponse(
        csv_lines(queryset, columns), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.csv"'
    return response


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


def require_export(actor: Any, record_type: str) -> None:
    """The one check of the export right (Action.EXPORT level) for every export route."""
    from cyclecrm.core.errors import Forbidden
    from cyclecrm.identity import access
    from cyclecrm.identity.models import Action, Level

    if access.level(actor, record_type, Action.EXPORT) == Level.NONE:
        raise Forbidden(f"You may not export {record_type} records.")
