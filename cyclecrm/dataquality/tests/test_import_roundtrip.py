"""Property: contacts exported as CSV by the API and imported again come back unchanged."""

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.models import ImportStatus
from cyclecrm.dataquality.tests.import_helpers import run_import

pytestmark = pytest.mark.django_db
FIELDS = ("external_id", "first_name", "last_name", "email", "city", "country", "birth_date")
_runs = itertools.count()

# Text a person may type, with the characters CSV must quote. By design some text does not
# round-trip: a leading =, +, - or @ is defused on export (a spreadsheet formula) and the
# importer collapses runs of whitespace and line breaks to one space.
name = (
    st.text(
        alphabet=st.characters(categories=["L", "N", "Zs"], include_characters=",;\"'|"),
        min_size=1,
        max_size=25,
    )
    .map(lambda text: " ".join(text.split()))
    .filter(lambda text: text and text[0] not in "=+-@")
)
person = st.fixed_dictionaries(
    {
        "first_name": name,
        "last_name": name,
        "city": st.one_of(st.just(""), name),
        "country": st.sampled_from(["", "DE", "FR", "JP"]),
        "birth_date": st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31))),
    }
)


def _rows() -> set[tuple]:
    return set(Contact.objects.values_list(*FIELDS))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(person, min_size=1, max_size=6))
def test_an_exported_file_imports_back_to_the_same_contacts(
    admin, api_client, settings, tmp_path, people
):
    settings.DATA_DIR = tmp_path
    run = next(_runs)
    Contact.objects.all().delete()
    for number, fields in enumerate(people):
        make_contact(
            admin, external_id=f"R{run}-{number}", email=f"p{run}.{number}@example.com", **fields
        )
    before = _rows()
    exported = b"".join(api_client(admin).get("/api/v1/contacts/export").streaming_content)
    Contact.objects.all().delete()

    job = run_import(admin, exported, file_name="export.csv")

    assert job.status == ImportStatus.DONE, job.error
    assert (job.created, job.rejected) == (len(people), 0), job.error
    assert _rows() == before
