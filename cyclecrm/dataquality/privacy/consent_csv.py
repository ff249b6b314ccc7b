"""Consent history as CSV (the API download and the contact page's link)."""

import csv
import io
from collections.abc import Iterable, Iterator

from cyclecrm.dataquality.models import ConsentRecord

CONSENT_CSV_COLUMNS = [
    "contact_id",
    "purpose",
    "granted",
    "source",
    "text_shown",
    "recorded_at",
    "recorded_by",
]


def consent_csv_lines(rows: Iterable[ConsentRecord]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CONSENT_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.contact_id,
                row.purpose,
                "yes" if row.granted else "no",
                row.source,
                row.text_shown,
                row.recorded_at.isoformat(),
                row.recorded_by.username if row.recorded_by_id else "system",
            ]
        )
    yield buffer.getvalue()
