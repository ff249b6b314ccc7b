"""Browser test of an import: upload a CSV whose last-name column has a header no synonym
matches, fix that one mapping by hand, watch the preview follow, start, watch the progress bar
(htmx polling) reach done, and download the rejected rows with their error column.

Start queues the job on a real Huey queue file in the test's temp directory; the test thread
then runs it as the worker would (`import_run`), so the page's polling sees it move on."""

import csv
import io
from pathlib import Path

import pytest
from huey.storage import SqliteStorage
from playwright.sync_api import Page, expect

from cyclecrm.contacts.models import Contact
from cyclecrm.dataquality.imports import services
from cyclecrm.dataquality.models import ImportJob, ImportStatus

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # the factories' password
CSV = (
    "Vorname,Familienname,E-Mail,Land\n"
    "Anna,Schmidt,anna@example.de,Germany\n"
    "Bernd,Meyer,bernd(at)example.de,DE\n"
    "Clara,Wölk,clara@example.de,Austria\n"
)


@pytest.fixture
def queue(tmp_path, settings):
    """Start enqueues onto a queue file nobody consumes until the test runs the job."""
    from huey.contrib.djhuey import HUEY

    settings.DATA_DIR = tmp_path
    previous = HUEY.storage, HUEY._immediate
    HUEY._immediate = False
    HUEY.storage = SqliteStorage("cyclecrm-e2e", filename=str(tmp_path / "queue.sqlite3"))
    yield HUEY
    HUEY.storage, HUEY._immediate = previous


def test_import_with_a_mapping_fix(live_server, page: Page, rep_a, queue, tmp_path) -> None:
    # given: a signed-in rep and a CSV file
    upload = tmp_path / "people.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", rep_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # when: uploading it as contacts
    page.goto(live_server.url + "/imports/new/")
    page.get_by_label("Record type").select_option("contact")
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and map columns").click()

    # then: the mapping page pre-selects what it recognised; Familienname is not imported yet
    expect(page.get_by_role("heading", name="Map columns: people.csv")).to_be_visible()
    expect(page.get_by_label("E-Mail")).to_have_value("email")
    expect(page.get_by_label("Familienname")).to_have_value("")
    expect(page.locator("#preview-table")).not_to_contain_text("Schmidt")

    # when: mapping Familienname to the last name by hand
    page.get_by_label("Familienname").select_option("last_name")

    # then: the live preview shows the names, and the bad e-mail on its cell
    preview = page.locator("#preview-table")
    expect(preview).to_contain_text("Schmidt")
    expect(preview.locator("td[aria-invalid=true]")).to_contain_text("bernd(at)example.de")

    # when: starting the import
    page.get_by_role("button", name="Start import").click()
    progress = page.get_by_role("progressbar", name="Import progress")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "queued")
    job = ImportJob.objects.get()
    services.import_run(job.pk)

    # then: the polling page reaches done with the counts and the problem listed
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("[data-count=created]")).to_have_text("2")
    expect(page.locator("[data-count=rejected]")).to_have_text("1")
    expect(page.locator("#problems-table")).to_contain_text("bernd(at)example.de")
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == ["Schmidt", "Wölk"]
    assert ImportJob.objects.get().status == ImportStatus.DONE

    # when: downloading the rejected rows
    with page.expect_download() as info:
        page.get_by_role("link", name="Download rejected rows").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))

    # then: Bernd's row, as in the file, with the reason in the error column
    error = [name.lower() for name in rows[0]].index("error")
    assert len(rows) == 2
    assert rows[1][:2] == ["Bernd", "Meyer"]
    assert "mail" in rows[1][error].lower()
