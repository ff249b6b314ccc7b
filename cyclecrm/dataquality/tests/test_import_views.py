"""The import pages: upload, mapping with sample values and the live preview, errors next to
their field, start, the progress fragment that stops polling when done, cancel, rejected rows,
saved mappings; permissions; the list page's query count."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.dataquality.imports import services
from cyclecrm.dataquality.models import ImportJob, ImportStatus, SavedMapping

CSV = "Vorname,Familienname,E-Mail\nAnna,Schmidt,anna@example.de\nBernd,Meyer,not-an-email\n"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def post_upload(client, content: str = CSV, name: str = "people.csv", **fields):
    data = {
        "record_type": "contact",
        "file": SimpleUploadedFile(name, content.encode()),
        **fields,
    }
    return client.post("/imports/new/", data)


def mapping_data(job: ImportJob, **changes) -> dict[str, str]:
    # The file's column order (a jsonb mapping does not keep it on PostgreSQL).
    headers = ["Vorname", "Familienname", "E-Mail"]
    data = {f"col_{index}": job.mapping.get(header, "") for index, header in enumerate(headers)}
    data |= {"mode": job.mode, "on_duplicate": job.on_duplicate}
    # the hidden version of the page as last rendered (each stored mapping moves it on)
    data["version"] = str(ImportJob.objects.get(pk=job.pk).version)
    return data | changes


def test_upload_then_mapping_page_shows_columns_samples_and_preview(web_client, rep_a):
    client = web_client(rep_a)

    response = post_upload(client)
    job = ImportJob.objects.get()
    page = client.get(response["Location"])

    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/mapping/"
    html = page.content.decode()
    assert page.status_code == 200
    assert 'for="id_col_1">Familienname</label>' in html
    assert "anna@example.de" in html  # a sample value and a preview cell
    assert "do not import" in html
    assert 'id="preview-table"' in html
    assert 'aria-invalid="true"' in html  # Bernd's e-mail is marked on its cell


def test_upload_errors_are_shown_next_to_the_field(web_client, rep_a):
    client = web_client(rep_a)

    binary = post_upload(client, "\x00\x01\x02" * 100, name="x.csv")
    wrong = post_upload(client, name="x.pdf")

    assert binary.status_code == 200 and wrong.status_code == 200
    assert "This file is not text" in binary.content.decode()
    assert "Unsupported file type .pdf" in wrong.content.decode()
    assert not ImportJob.objects.exists()


def test_preview_fragment_stores_the_mapping(web_client, rep_a):
    client = web_client(rep_a)
    post_upload(client)
    job = ImportJob.objects.get()
    # Familienname is not a known synonym; the user maps it by hand.
    data = mapping_data(job, col_1="last_name")

    fragment = client.post(f"/imports/{job.pk}/preview/", data, HTTP_HX_REQUEST="true")

    job.refresh_from_db()
    assert fragment.status_code == 200
    assert job.mapping["Familienname"] == "last_name"
    assert "Schmidt" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_start_without_required_field_shows_error_on_the_page(web_client, rep_a):
    client = web_client(rep_a)
    post_upload(client)
    job = ImportJob.objects.get()

    response = client.post(f"/imports/{job.pk}/mapping/", mapping_data(job, col_1="", start="1"))

    job.refresh_from_db()
    assert response.status_code == 200
    assert job.status == ImportStatus.DRAFT
    assert "invalid-feedback" in response.content.decode() or "alert-danger" in (
        response.content.decode()
    )


def test_start_progress_and_rejected_rows(web_client, rep_a):
    client = web_client(rep_a)
    post_upload(client)
    job = ImportJob.objects.get()

    started = client.post(
        f"/imports/{job.pk}/mapping/", mapping_data(job, col_1="last_name", start="1")
    )
    queued = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    services.import_run(job.pk)
    done = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    rejected = client.get(f"/imports/{job.pk}/rejected.csv")

    assert started.status_code == 302 and started["Location"] == f"/imports/{job.pk}/"
    assert 'hx-trigger="every 1s"' in queued
    assert 'hx-trigger="every' not in done
    assert 'aria-valuenow="100"' in done
    job.refresh_from_db()
    assert (job.status, job.created, job.rejected, job.error) == ("done", 1, 1, "")
    assert 'data-count="created">1<' in done and 'data-count="rejected">1<' in done
    assert "not-an-email" in done  # the problems table
    assert rejected.status_code == 200
    body = b"".join(rejected.streaming_content).decode("utf-8-sig")
    assert "Bernd" in body and "Anna" not in body


def test_cancel_a_queued_import(web_client, rep_a):
    client = web_client(rep_a)
    post_upload(client)
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/mapping/", mapping_data(job, col_1="last_name", start="1"))

    response = client.post(f"/imports/{job.pk}/cancel/", follow=True)

    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert "Cancel import" not in response.content.decode()


def test_save_mapping_then_offered_on_upload(web_client, rep_a):
    client = web_client(rep_a)
    post_upload(client)
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/preview/", mapping_data(job, col_1="last_name"))

    client.post(f"/imports/{job.pk}/save-mapping/", {"name": "Germans"})
    saved = SavedMapping.objects.get()
    form = client.get("/imports/new/").content.decode()
    post_upload(client, saved_mapping=str(saved.pk))

    assert saved.mapping["Familienname"] == "last_name"
    assert "Germans (contact)" in form
    assert ImportJob.objects.latest("id").mapping["Familienname"] == "last_name"


def test_other_users_import_is_404(web_client, rep_a, rep_b):
    post_upload(web_client(rep_a))
    job = ImportJob.objects.get()
    client = web_client(rep_b)

    assert client.get(f"/imports/{job.pk}/mapping/").status_code == 404
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.post(f"/imports/{job.pk}/cancel/").status_code == 404
    assert "people.csv" not in client.get("/imports/").content.decode()


def test_admin_sees_all_and_nav_entry(web_client, rep_a, admin):
    post_upload(web_client(rep_a))

    page = web_client(admin).get("/imports/").content.decode()

    assert "people.csv" in page
    assert 'href="/imports/"' in page


def test_list_page_query_count(web_client, rep_a, admin, django_assert_max_num_queries):
    client = web_client(rep_a)
    for _ in range(3):
        post_upload(client)
    admin_client = web_client(admin)
    admin_client.get("/imports/")

    with CaptureQueriesContext(connection) as few:
        page = admin_client.get("/imports/")
    queries = len(few.captured_queries)  # read now: every request resets the query log
    for _ in range(5):
        post_upload(client)
    with django_assert_max_num_queries(queries):
        more = admin_client.get("/imports/")

    assert page.status_code == 200 and more.status_code == 200
    assert 0 < queries <= 12
    assert more.content.decode().count("people.csv") == 8
