"""Testimonials as CSV, for the API and the download on the reviews page."""

import csv
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse

from cyclecrm.api.lists import csv_response

COLUMNS = (
    "id", "rating", "title", "text", "author", "company", "product", "featured", "submitted_on",
)  # fmt: skip


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """Text as a spreadsheet shows it; a cell starting with = + - @ is quoted so it is never
    read as a formula (customers write these texts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def testimonial_lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([_cell(row[name]) for name in COLUMNS])


def testimonials_csv(rows: list[dict[str, Any]]) -> StreamingHttpResponse:
    return csv_response(testimonial_lines(rows), "testimonials")
