"""NUL characters are refused at the door, with the field named, on every database."""

import json

from cyclecrm.contacts.models import Account


def test_api_query_parameter_with_nul_is_a_422_naming_the_parameter(admin, api_client):
    response = api_client(admin).get("/api/v1/accounts", {"country": "F\x00R"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["country"]


def test_api_json_body_with_nul_names_the_nested_field_and_stores_nothing(admin, api_client):
    body = json.dumps({"name": "Acme", "custom_fields": {"note": "a\x00b"}})

    response = api_client(admin).post("/api/v1/accounts", body, content_type="application/json")

    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["custom_fields.note"]
    assert not Account.objects.exists()


def test_page_query_with_nul_is_a_400(admin, web_client):
    response = web_client(admin).get("/accounts/", {"q": "\x00"})

    assert response.status_code == 400
    assert b"q: contains a NUL character" in response.content


def test_clean_input_passes_through(admin, api_client):
    response = api_client(admin).get("/api/v1/accounts", {"country": "FR"})

    assert response.status_code == 200
