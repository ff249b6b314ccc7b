"""Generated CSV files (odd encodings, quotes, delimiters, empty lines, huge fields) never crash
the importer and never store a row that failed validation."""

import csv
import io
import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.normalize import normalize_email
from cyclecrm.dataquality.imports.selectors import rejected_rows_path
from cyclecrm.dataquality.models import ImportStatus
from cyclecrm.dataquality.tests.import_helpers import run_import

pytestmark = pytest.mark.django_db
HEADERS = ["external_id", "first_name", "last_name", "email", "phone", "country", "birth_date"]
_batches = itertools.count()

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(['a "quoted" value', "line\nbreak", "semi;colon", "tab\there", "|", " "]),
    st.sampled_from(["ada@example.com", "x@", "+1 202 555 0101", "12", "DE", "Narnia"]),
    st.sampled_from(["1990-01-31", "31/01/1990", "3 Jan 2024", "2024-02-30", ""]),
)
row = st.lists(cell, min_size=6, max_size=6)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(row, max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
    blank_every=st.integers(min_value=0, max_value=3),
    huge=st.booleans(),
)
def test_generated_files_never_crash_nor_store_invalid_rows(
    admin, settings, tmp_path, rows, delimiter, encoding, blank_every, huge
):
    settings.DATA_DIR = tmp_path
    batch = next(_batches)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for number, cells in enumerate(rows):
        if huge and number == 0:
            cells = [*cells[:1], "z" * 1_200_000, *cells[2:]]
        writer.writerow([f"B{batch}R{number}", *cells])
        if blank_every and number % blank_every == 0:
            buffer.write("\r\n")
    content = buffer.getvalue().encode(encoding, errors="replace")
    before = Contact.objects.count()

    job = run_import(admin, content, file_name="gen.csv", encoding=encoding, delimiter=delimiter)

    assert job.status == ImportStatus.DONE, job.error
    assert job.created + job.skipped + job.rejected == job.rows_done
    stored = list(Contact.objects.filter(external_id__startswith=f"B{batch}R"))
    assert len(stored) == Contact.objects.count() - before == job.created
    for contact in stored:
        assert contact.last_name.strip() and len(contact.last_name) <= 100
        assert contact.email == "" or normalize_email(contact.email) == contact.email
        assert contact.phone == "" or re.fullmatch(r"\+[1-9]\d{6,14}", contact.phone)
        assert contact.country == "" or re.fullmatch(r"[A-Z]{2}", contact.country)
    path = rejected_rows_path(actor=admin, job=job)
    if path is not None:
        with path.open(encoding="utf-8", newline="") as handle:
            rejected_ids = {record[0] for record in list(csv.reader(handle))[1:]}
        assert not Contact.objects.filter(external_id__in=rejected_ids).exists()
