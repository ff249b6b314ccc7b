"""The admins' full export: job, zip layout, manifest, rights, API, page and CLI."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.interchange.fullexport import SCHEMA_VERSION, write_full_export
from cyclecrm.dataquality.interchange.services import full_export_execute
from cyclecrm.dataquality.models import ExportStatus, FullExport


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


@pytest.mark.django_db
def test_zip_has_csv_jsonl_per_type_and_a_manifest(admin, tmp_path):
    account = make_account(admin, name="Acme")
    make_contact(admin, last_name="Lovelace", account=account, custom={})
    target = tmp_path / "all.zip"
    manifest = write_full_export(admin, target, None)
    archive = zipfile.ZipFile(target)
    names = set(archive.namelist())
    assert {"contact.csv", "contact.jsonl", "account.csv", "manifest.json"} <= names
    assert json.loads(archive.read("manifest.json"))["schema_version"] == SCHEMA_VERSION
    assert manifest["types"]["contact"]["rows"] == 1
    rows = list(csv.DictReader(io.StringIO(archive.read("contact.csv").decode())))
    assert rows[0]["last_name"] == "Lovelace" and rows[0]["account_id"] == str(account.pk)
    line = json.loads(archive.read("contact.jsonl").decode().splitlines()[0])
    assert line["last_name"] == "Lovelace"
    for key, item in manifest["types"].items():
        body = archive.read(f"{key}.jsonl").decode()
        assert len(body.splitlines()) == item["rows"]
    assert not (tmp_path / "all.zip.part").exists()


@pytest.mark.django_db
def test_queries_do_not_grow_with_rows(admin, tmp_path):
    make_contact(admin)
    write_full_export(admin, tmp_path / "warm.zip", None)  # caches of field rules and forms
    with CaptureQueriesContext(connection) as few:
        write_full_export(admin, tmp_path / "a.zip", None)
    for _ in range(25):
        make_contact(admin)
    with CaptureQueriesContext(connection) as many:
        write_full_export(admin, tmp_path / "b.zip", None)
    assert len(many) == len(few)


@pytest.mark.django_db
def test_only_admins(api_client, web_client, manager):
    assert api_client(manager).post("/api/v1/exports/full").status_code == 403
    assert web_client(manager).get(reverse("full_export_list")).status_code == 403
    assert not FullExport.objects.exists()


@pytest.mark.django_db
def test_api_job_progress_and_download(
    api_client, admin, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DATA_DIR = tmp_path
    make_contact(admin, last_name="Exported")
    client = api_client(admin)
    with django_capture_on_commit_callbacks(execute=False):
        started = client.post("/api/v1/exports/full")
    assert started.status_code == 202
    export_id = started.json()["id"]
    assert started.json()["status"] == "queued"
    again = client.post("/api/v1/exports/full").json()
    assert again["id"] == export_id  # the queued one, not a second
    full_export_execute(export_id)
    state = client.get(f"/api/v1/exports/full/{export_id}").json()
    assert state["status"] == ExportStatus.DONE and state["percent"] == 100
    assert state["counts"]["contact"] == 1
    download = client.get(f"/api/v1/exports/full/{export_id}/download")
    assert download.status_code == 200
    archive = _zip(b"".join(download.streaming_content))
    assert "Exported" in archive.read("contact.csv").decode()
    assert [item["id"] for item in client.get("/api/v1/exports/full").json()] == [export_id]


@pytest.mark.django_db
def test_settings_page_starts_and_lists(web_client, admin, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = web_client(admin)
    assert client.get(reverse("full_export_list")).status_code == 200
    response = client.post(reverse("full_export_start"))
    assert response.status_code == 302
    export = FullExport.objects.get()
    full_export_execute(export.pk)
    page = client.get(reverse("full_export_list")).content.decode()
    assert reverse("full_export_download", args=[export.pk]) in page
    assert client.get(reverse("full_export_download", args=[export.pk])).status_code == 200


@pytest.mark.django_db
def test_cli_writes_the_zip(admin, tmp_path, capsys):
    make_contact(admin, last_name="Cli")
    out = tmp_path / "everything.zip"
    call_command("export", "--all", str(out), "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["counts"]["contact"] == 1
    assert "Cli" in zipfile.ZipFile(out).read("contact.csv").decode()
