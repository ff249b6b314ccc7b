"""Reading uploaded files row by row: CSV in any encoding and delimiter, or XLSX.

Nothing here holds the whole file in memory: CSV is decoded as a stream, XLSX is opened
read-only. Rows come out as `(row number, cells)` where the row number is the line a spreadsheet
shows (header = 1); blank records keep their number but are skipped.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 256 * 1024
# A cell longer than this is a row problem (see engine); the csv module would raise beyond it.
MAX_FIELD_CHARS = 1_000_000
csv.field_size_limit(MAX_FIELD_CHARS)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FileUnreadable(ValueError):
    """The file cannot be read as the format, encoding or delimiter given."""


@dataclass(frozen=True)
class TableRow:
    row: int
    cells: list[Any]
    # Why the reader could not split this record (e.g. a field over the size limit).
    error: str = ""


def file_format(file_name: str) -> str:
    return "xlsx" if file_name.lower().endswith((".xlsx", ".xlsm")) else "csv"


def detect_encoding(path: Path) -> str:
    """BOM first, then UTF-8 (checked over the whole file), then charset-normalizer on a sample."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if _is_utf8(path):
        return "utf-8"
    best = from_bytes(head).best()
    if best is None:
        return "cp1252"
    return codecs.lookup(best.encoding).name


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(path: Path, encoding: str) -> str:
    """The delimiter among , ; TAB | that splits the first lines most consistently."""
    with _open_text(path, encoding) as handle:
        sample = handle.read(64 * 1024)
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        counts = [len(_split_sample(line, delimiter)) - 1 for line in lines]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(1 for count in counts if count == counts[0]) / len(counts)
        score = consistent * 1000 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _split_sample(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return path.open("r", encoding=encoding or "utf-8", errors="replace", newline="")


def count_rows(path: Path, fmt: str) -> int:
    """A cheap estimate of the data rows for the progress bar: newlines (or XLSX max_row)."""
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def read_headers(path: Path, fmt: str, encoding: str, delimiter: str) -> list[str]:
    for row in iter_rows(path, fmt, encoding, delimiter, include_header=True):
        return [str(cell or "").strip() for cell in row.cells]
    return []


def iter_rows(
    path: Path, fmt: str, encoding: str, delimiter: str, *, include_header: bool = False
) -> Iterator[TableRow]:
    """Rows of the file (the header only when asked), blank records skipped."""
    source = _xlsx_rows(path) if fmt == "xlsx" else _csv_rows(path, encoding, delimiter)
    seen_header = False
    for row in source:
        if not row.error and not any(_filled(cell) for cell in row.cells):
            continue
        if not seen_header:
            seen_header = True
            if include_header:
                yield row
            continue
        yield row


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or cell.strip() != "")


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[TableRow]:
    with _open_text(path, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter or ",", strict=False)
        number = 0
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield TableRow(number, [], f"The row cannot be read: {exc}.")
                continue
            yield TableRow(number, cells)


def _xlsx_rows(path: Path) -> Iterator[TableRow]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise FileUnreadable(f"Not a readable XLSX file: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield TableRow(number, list(values))
    finally:
        workbook.close()
