"""Request body limits: 413 with the error body (API) or a short page, never a 500, nothing
stored; uploads are checked by size and by content, not by name."""

import json
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cyclecrm.contacts.models import Contact
from cyclecrm.dataquality.interchange import services as interchange

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"  # what a browser sends for a form without files
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n"


@pytest.fixture
def small_body(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000


def test_api_json_body_over_the_limit_is_413_with_the_error_body(api_client, rep_a, small_body):
    body = json.dumps({"last_name": "Lovelace", "notes": "x" * 5000})

    response = api_client(rep_a).post("/api/v1/contacts", body, content_type=JSON)

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert error["fields"] == {"body": ["At most 2,000 bytes."]}
    assert not Contact.objects.exists()


def test_api_json_body_under_the_limit_passes(api_client, rep_a, small_body):
    response = api_client(rep_a).post(
        "/api/v1/contacts", {"last_name": "Lovelace"}, content_type=JSON
    )

    assert response.status_code == 201


def test_web_form_post_over_the_limit_is_413(web_client, rep_a, small_body):
    body = urlencode({"last_name": "Lovelace", "notes": "x" * 5000})

    response = web_client(rep_a).post("/contacts/new/", body, content_type=FORM)

    assert response.status_code == 413
    assert b"larger than the limit" in response.content
    assert not Contact.objects.exists()


def test_public_form_post_over_the_limit_is_413_before_anything_runs(db, small_body, client):
    body = urlencode({"comment": "x" * 5000})

    response = client.post("/s/some-token/", body, content_type=FORM)

    assert response.status_code == 413


def test_upload_over_the_largest_accepted_upload_is_413(api_client, admin, settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "IMPORT_MAX_UPLOAD_MB": 1}
    big = SimpleUploadedFile("big.csv", b"a,b\n" * (700 * 1024), content_type="text/csv")

    response = api_client(admin).post("/api/v1/imports", {"file": big, "record_type": "contact"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_vcard_that_is_not_a_vcard_is_422_naming_the_file(api_client, admin):
    upload = SimpleUploadedFile("contacts.vcf", PNG, content_type="text/vcard")

    response = api_client(admin).post("/api/v1/exports/vcard", {"file": upload})

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"file": [interchange.NOT_A_VCARD]}
    assert not Contact.objects.exists()


def test_vcard_over_its_limit_is_413(api_client, admin, monkeypatch):
    monkeypatch.setattr(interchange, "MAX_VCF_BYTES", 100)
    upload = SimpleUploadedFile("contacts.vcf", CARD.encode() * 3, content_type="text/vcard")

    response = api_client(admin).post("/api/v1/exports/vcard", {"file": upload})

    assert response.status_code == 413
    assert not Contact.objects.exists()


def test_a_real_vcard_still_imports(api_client, admin):
    upload = SimpleUploadedFile("contacts.vcf", CARD.encode(), content_type="text/vcard")

    response = api_client(admin).post("/api/v1/exports/vcard", {"file": upload})

    assert response.status_code == 200, response.content
    assert Contact.objects.filter(last_name="Lovelace").exists()


def test_vcard_page_refuses_a_mistyped_file_with_a_clear_error(web_client, admin):
    upload = SimpleUploadedFile("contacts.vcf", PNG, content_type="text/vcard")

    response = web_client(admin).post("/contacts/vcard/import/", {"file": upload})

    assert response.status_code == 422
    assert "not a vCard" in response.content.decode()
