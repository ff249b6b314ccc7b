"""The import engine: modes, duplicate policies, re-import by external_id, rights, problems."""

import csv
import datetime as dt

import pytest

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.imports.selectors import import_preview, rejected_rows_path
from cyclecrm.dataquality.models import ImportStatus
from cyclecrm.dataquality.tests.import_helpers import run_import, use_tmp_data_dir

pytestmark = pytest.mark.django_db

PEOPLE = (
    "First Name,Last Name,E-mail Address,Phone,Country,Birthday,Zip\n"
    "Ada,Lovelace,ADA@Example.com,+44 20 7946 0958,UK,1815-12-10,N1 9GU\n"
    "Alan,Turing,alan@example.org,020 7946 0000,United Kingdom,23/06/1912,SW1\n"
    "Bad,Mail,not-an-email,,,,\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    use_tmp_data_dir(settings, tmp_path)


def test_valid_rows_mode_stores_the_valid_rows_cleaned(admin):
    job = run_import(admin, PEOPLE, options={"default_region": "GB"})
    assert (job.status, job.created, job.rejected, job.rows_done) == (ImportStatus.DONE, 2, 1, 3)
    ada = Contact.objects.get(last_name="Lovelace")
    assert ada.email == "ada@example.com"
    assert ada.phone == "+442079460958"
    assert ada.country == "GB"
    assert ada.birth_date == dt.date(1815, 12, 10)
    assert ada.postal_code == "N1 9GU"
    assert ada.owner == admin and ada.created_by == admin
    turing = Contact.objects.get(last_name="Turing")
    assert turing.birth_date == dt.date(1912, 6, 23)
    assert turing.phone == "+442079460000"
    assert not Contact.objects.filter(last_name="Mail").exists()


def test_problems_name_row_column_value_and_reason(admin):
    job = run_import(admin, PEOPLE, options={"default_region": "GB"})
    [problem] = job.problems
    assert problem["row"] == 4
    assert problem["column"] == "E-mail Address"
    assert problem["value"] == "not-an-email"
    assert "Not a valid e-mail address" in problem["reason"]


def test_rejected_rows_file_has_the_original_cells_and_an_error_column(admin):
    job = run_import(admin, PEOPLE, options={"default_region": "GB"})
    path = rejected_rows_path(actor=admin, job=job)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][-1] == "error"
    assert rows[1][:3] == ["Bad", "Mail", "not-an-email"]
    assert rows[1][-1].startswith("E-mail Address: Not a valid e-mail address")
    assert len(rows) == 2


def test_all_or_nothing_stores_nothing_when_a_row_is_rejected(admin):
    job = run_import(admin, PEOPLE, mode="all-or-nothing", options={"default_region": "GB"})
    assert job.status == ImportStatus.FAILED
    assert (job.created, job.rejected, job.rows_done) == (0, 1, 3)
    assert "all or nothing" in job.error
    assert Contact.objects.count() == 0


def test_all_or_nothing_stores_everything_when_all_rows_are_valid(admin):
    job = run_import(
        admin, PEOPLE.rsplit("Bad", 1)[0], mode="all-or-nothing", options={"default_region": "GB"}
    )
    assert (job.status, job.created) == (ImportStatus.DONE, 2)
    assert Contact.objects.count() == 2


EXT = "external_id,last_name,city\nX1,Smith,Berlin\nX2,Jones,Paris\n"


def test_reimport_by_external_id_updates_instead_of_duplicating(admin):
    run_import(admin, EXT)
    job = run_import(admin, "external_id,last_name,city\nX1,Smith,Hamburg\n", on_duplicate="update")
    assert (job.created, job.updated) == (0, 1)
    smith = Contact.objects.get(external_id="X1")
    assert (smith.city, smith.version) == ("Hamburg", 2)
    assert HistoryEntry.objects.filter(
        object_id=smith.pk, record_type="contact", action="update", request_id=f"import:{job.pk}"
    ).get().changes == {"city": ["Berlin", "Hamburg"]}


def test_duplicate_policy_skip_and_create(admin):
    make_contact(last_name="Known", email="known@example.com")
    text = "last_name,email\nKnown,KNOWN@example.com\nFresh,fresh@example.com\n"
    skipped = run_import(admin, text, on_duplicate="skip")
    assert (skipped.created, skipped.skipped) == (1, 1)
    created = run_import(admin, text, on_duplicate="create")
    assert (created.created, created.skipped) == (2, 0)
    assert Contact.objects.filter(email="known@example.com").count() == 2


def test_a_row_duplicating_an_earlier_row_of_the_file_follows_the_policy(admin):
    text = "last_name,email,city\nTwin,twin@example.com,A\nTwin,twin@example.com,B\n"
    job = run_import(admin, text, on_duplicate="update")
    assert (job.created, job.updated) == (1, 0)
    assert Contact.objects.get(email="twin@example.com").city == "B"
    job = run_import(admin, text.replace("twin@", "other@"), on_duplicate="skip")
    assert (job.created, job.skipped) == (1, 1)


def test_create_policy_never_duplicates_an_external_id(admin):
    run_import(admin, EXT)
    job = run_import(admin, EXT, on_duplicate="create")
    assert (job.created, job.rejected) == (0, 2)
    assert "external_id exists" in job.problems[0]["reason"]


def test_a_rep_cannot_import_into_a_type_they_may_not_create(support_agent):
    with pytest.raises(Forbidden):
        run_import(support_agent, EXT, record_type="account", file_name="a.csv")


def test_a_row_matching_a_record_the_actor_may_not_edit_is_rejected(rep_a, rep_b):
    theirs = make_contact(last_name="Theirs", email="theirs@example.com", owner=rep_b)
    job = run_import(
        rep_a, "last_name,email,city\nTheirs,theirs@example.com,Rome\n", on_duplicate="update"
    )
    assert (job.updated, job.rejected) == (0, 1)
    assert "may not edit" in job.problems[0]["reason"]
    theirs.refresh_from_db()
    assert theirs.city == ""


def test_owner_column_resolves_a_username(admin, rep_a):
    text = f"last_name,owner\nMine,{rep_a.username}\nNobody,ghost\n"
    job = run_import(admin, text)
    assert (job.created, job.rejected) == (1, 1)
    assert Contact.objects.get(last_name="Mine").owner == rep_a
    assert job.problems[0]["reason"] == "No active user with this username or e-mail."


def test_account_lookup_by_name_and_unknown_account_is_a_problem(admin):
    acme = Account.objects.create(name="Acme GmbH")
    job = run_import(admin, "last_name,company\nA,Acme GmbH\nB,Nowhere Inc\n")
    assert (job.created, job.rejected) == (1, 1)
    assert Contact.objects.get(last_name="A").account == acme
    assert job.problems[0]["column"] == "company"


def test_tags_and_history_are_written_per_created_record(admin):
    job = run_import(admin, "last_name,tags\nTagged,vip; press\n")
    contact = Contact.objects.get(last_name="Tagged")
    assert sorted(contact.tags.values_list("name", flat=True)) == ["press", "vip"]
    entry = HistoryEntry.objects.get(object_id=contact.pk, record_type="contact")
    assert entry.action == "create" and entry.request_id == f"import:{job.pk}"
    assert entry.changes["last_name"] == [None, "Tagged"]


def test_accounts_match_by_domain_then_name(admin):
    Account.objects.create(name="Initech", domain="initech.com")
    Account.objects.create(name="Hooli XYZ")
    text = (
        "name,website\nInitech Inc,https://www.initech.com/about\nGlobex,globex.com\nHOOLI  xyz,\n"
    )
    job = run_import(admin, text, record_type="account", file_name="a.csv", on_duplicate="skip")
    assert (job.created, job.skipped) == (1, 2)
    assert Account.objects.get(name="Globex").domain == "globex.com"


def test_preview_shows_values_as_stored_and_problems(admin):
    import io

    from cyclecrm.dataquality.imports.services import import_create

    job = import_create(
        actor=admin, record_type="contact", file_name="p.csv", stream=io.BytesIO(PEOPLE.encode())
    )
    preview = import_preview(actor=admin, job=job, rows=3)
    assert [row.row for row in preview.rows] == [2, 3, 4]
    assert preview.rows[0].values["email"] == "ada@example.com"
    assert preview.rows[2].problems[0].column == "E-mail Address"
