"""The imports API: upload, mapping, preview, start, progress, rejected rows, fields, presets,
saved mappings; upload limits; permission scoping (404 for another user's import)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cyclecrm.contacts.models import Contact
from cyclecrm.dataquality.imports import services
from cyclecrm.dataquality.models import ImportJob, SavedMapping

JSON = "application/json"
URL = "/api/v1/imports"
CSV = (
    "Vorname;Nachname;E-Mail;Telefon;Land\n"
    "Anna;Schmidt;anna@example.de;030 1234567;Germany\n"
    "Bernd;Meyer;not-an-email;;DE\n"
    "Clara;Wolf;clara@example.de;+49 89 7654321;Germany\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def upload(client, content: bytes | str = CSV, name: str = "people.csv", **fields):
    data = content.encode("cp1252") if isinstance(content, str) else content
    payload = {"record_type": "contact", **fields, "file": SimpleUploadedFile(name, data)}
    return client.post(URL, payload)


def test_upload_detects_and_suggests(api_client, rep_a):
    response = upload(api_client(rep_a))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["delimiter"] == ";"
    assert body["encoding"]
    assert body["headers"] == ["Vorname", "Nachname", "E-Mail", "Telefon", "Land"]
    assert body["mapping"]["Nachname"] == "last_name"
    assert body["mapping"]["E-Mail"] == "email"
    last_name = next(column for column in body["fields"] if column["field"] == "last_name")
    assert last_name["required"] is True


def test_full_flow_with_rejected_rows(api_client, rep_a):
    client = api_client(rep_a)
    job_id = upload(client, options='{"default_region": "DE"}').json()["id"]

    patched = client.patch(
        f"{URL}/{job_id}",
        {"version": 1, "mapping": {"Vorname": "first_name", "Telefon": "phone", "Land": "country"}},
        content_type=JSON,
    )
    preview = client.get(f"{URL}/{job_id}/preview?rows=2")
    started = client.post(f"{URL}/{job_id}/start")
    services.import_run(job_id)
    done = client.get(f"{URL}/{job_id}").json()
    rejected = client.get(f"{URL}/{job_id}/rejected.csv")

    assert patched.status_code == 200, patched.json()
    rows = preview.json()["rows"]
    assert [row["row"] for row in rows] == [2, 3]
    assert rows[0]["values"]["phone"] == "+49301234567"
    assert rows[0]["values"]["country"] == "DE"
    assert rows[1]["problems"][0]["row"] == 3 and rows[1]["problems"][0]["value"] == "not-an-email"
    assert started.status_code == 200 and started.json()["status"] == "queued"
    assert done["status"] == "done"
    assert done["counts"] == {"read": 3, "created": 2, "updated": 0, "skipped": 0, "rejected": 1}
    assert done["progress"] == {"rows_done": 3, "rows_total": 3, "percent": 100}
    assert done["problems"][0]["column"] in ("E-Mail", "email")
    assert Contact.objects.filter(owner=rep_a).count() == 2
    assert rejected.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(rejected.streaming_content).decode("utf-8-sig"))))
    assert "error" in [cell.lower() for cell in lines[0]]
    assert len(lines) == 2 and "Bernd" in lines[1]


def test_patch_names_unknown_field_and_option(api_client, rep_a):
    client = api_client(rep_a)
    job_id = upload(client).json()["id"]

    unknown_option = client.patch(
        f"{URL}/{job_id}", {"version": 1, "options": {"colour": "red"}}, content_type=JSON
    )
    unknown_field = client.patch(
        f"{URL}/{job_id}",
        {"version": 1, "mapping": {"Vorname": "favourite_colour"}},
        content_type=JSON,
    )
    unknown_key = client.patch(f"{URL}/{job_id}", {"version": 1, "mapp": {}}, content_type=JSON)
    bad_mode = client.patch(f"{URL}/{job_id}", {"version": 1, "mode": "some"}, content_type=JSON)

    assert unknown_option.status_code == 422
    assert "options.colour" in unknown_option.json()["error"]["fields"]
    assert unknown_field.status_code == 422
    assert "mapping.Vorname" in unknown_field.json()["error"]["fields"]
    assert unknown_key.json()["error"]["fields"] == {"mapp": ["Unknown field."]}
    assert "mode" in bad_mode.json()["error"]["fields"]


def test_upload_refuses_binary_and_wrong_type(api_client, rep_a):
    client = api_client(rep_a)

    binary = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, name="photo.csv")
    fake_xlsx = upload(client, CSV, name="people.xlsx")
    exe = upload(client, CSV, name="people.exe")

    for response in (binary, fake_xlsx, exe):
        assert response.status_code == 422
        assert list(response.json()["error"]["fields"]) == ["file"]
    assert not ImportJob.objects.exists()


def test_upload_over_the_limit_is_413(api_client, rep_a, settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "IMPORT_MAX_UPLOAD_MB": 1}
    response = upload(api_client(rep_a), "a;b\n" + "x;y\n" * 300_000)

    assert response.status_code == 413
    assert "1 MB" in response.json()["error"]["message"]


def test_upload_accepts_utf16_and_xlsx(api_client, rep_a):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["first_name", "last_name"])
    workbook.active.append(["Ann", "Lee"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = api_client(rep_a)

    utf16 = upload(client, CSV.encode("utf-16"), name="people.txt")
    xlsx = upload(client, buffer.getvalue(), name="people.xlsx")

    assert utf16.status_code == 201, utf16.json()
    assert utf16.json()["headers"][0] == "Vorname"
    assert xlsx.status_code == 201, xlsx.json()
    assert xlsx.json()["mapping"] == {"first_name": "first_name", "last_name": "last_name"}


def test_other_users_import_is_404_and_list_is_scoped(api_client, rep_a, rep_b, admin):
    job_id = upload(api_client(rep_a)).json()["id"]

    assert api_client(rep_b).get(f"{URL}/{job_id}").status_code == 404
    assert api_client(rep_b).post(f"{URL}/{job_id}/start").status_code == 404
    assert api_client(rep_b).get(URL).json()["items"] == []
    assert [item["id"] for item in api_client(admin).get(URL).json()["items"]] == [job_id]


def test_list_is_keyset_paginated(api_client, rep_a):
    client = api_client(rep_a)
    ids = [upload(client).json()["id"] for _ in range(3)]

    first = client.get(f"{URL}?limit=2").json()
    second = client.get(f"{URL}?limit=2&cursor={first['next_cursor']}").json()

    assert [item["id"] for item in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_cancel_and_conflicts(api_client, rep_a):
    client = api_client(rep_a)
    job_id = upload(client).json()["id"]

    cancelled = client.post(f"{URL}/{job_id}/cancel")
    again = client.post(f"{URL}/{job_id}/cancel")
    patch = client.patch(
        f"{URL}/{job_id}", {"version": 1, "mode": "all-or-nothing"}, content_type=JSON
    )

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409
    assert patch.status_code == 409
    assert client.get(f"{URL}/{job_id}/rejected.csv").status_code == 404


def test_fields_and_presets(api_client, rep_a):
    client = api_client(rep_a)

    fields = client.get(f"{URL}/fields/contact")
    missing = client.get(f"{URL}/fields/spaceship")
    presets = client.get(f"{URL}/presets?record_type=contact").json()

    assert fields.status_code == 200
    assert "email" in [column["field"] for column in fields.json()]
    assert missing.status_code == 404
    assert presets and {preset["record_type"] for preset in presets} == {"contact"}
    assert any("hubspot" in preset["key"] for preset in presets)


def test_saved_mappings(api_client, rep_a):
    client = api_client(rep_a)
    mapping = {"Vorname": "first_name", "Nachname": "last_name"}

    created = client.post(
        f"{URL}/mappings",
        {"name": "German CSV", "record_type": "contact", "mapping": mapping},
        content_type=JSON,
    )
    listed = client.get(f"{URL}/mappings?record_type=contact").json()
    applied = upload(client, mapping_id=created.json()["id"])
    wrong_type = upload(client, mapping_id=created.json()["id"], record_type="account")
    deleted = client.delete(f"{URL}/mappings/{created.json()['id']}")

    assert created.status_code == 201, created.json()
    assert [item["name"] for item in listed] == ["German CSV"]
    assert applied.status_code == 201
    assert applied.json()["mapping"]["Vorname"] == "first_name"
    assert wrong_type.status_code == 422
    assert "mapping_id" in wrong_type.json()["error"]["fields"]
    assert deleted.status_code == 204
    assert not SavedMapping.objects.exists()


def test_unknown_record_type_and_preset_name_the_field(api_client, rep_a):
    client = api_client(rep_a)

    spaceship = upload(client, record_type="spaceship")
    preset = upload(client, preset="nope")

    assert "record_type" in spaceship.json()["error"]["fields"]
    assert "preset" in preset.json()["error"]["fields"]
