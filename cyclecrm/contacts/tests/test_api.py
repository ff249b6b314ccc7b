"""Accounts and contacts through the API: the happy paths, bad input (the field is named and
nothing is stored), optimistic concurrency, history, custom fields and the related list."""

import pytest

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.models import CustomField, HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact

JSON = "application/json"


def test_create_contact_normalizes_and_returns_the_record(api_client, rep_a):
    response = api_client(rep_a).post(
        "/api/v1/contacts",
        {
            "first_name": " Grace ",
            "last_name": "Hopper",
            "email": "Grace.Hopper@Example.COM",
            "phone": "(202) 555-0147",
            "country": "Germany",
            "tags": ["vip", "navy"],
            "external_id": "crm-1",
        },
        content_type=JSON,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["first_name"] == "Grace"
    assert body["email"] == "grace.hopper@example.com"
    assert body["phone"] == "+12025550147"
    assert body["country"] == "DE"
    assert body["tags"] == ["navy", "vip"]
    assert body["owner_id"] == rep_a.pk
    assert body["version"] == 1
    assert Contact.objects.get(pk=body["id"]).external_id == "crm-1"


def test_get_contact(api_client, rep_a):
    contact = make_contact(owner=rep_a, title="Admiral")

    body = api_client(rep_a).get(f"/api/v1/contacts/{contact.pk}").json()

    assert body["id"] == contact.pk
    assert body["title"] == "Admiral"
    assert body["team_id"] == contact.team_id


def test_patch_changes_only_the_fields_sent_and_bumps_the_version(api_client, rep_a):
    contact = make_contact(owner=rep_a, city="Paris", title="Engineer")

    response = api_client(rep_a).patch(
        f"/api/v1/contacts/{contact.pk}", {"version": 1, "city": "Lyon"}, content_type=JSON
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2
    contact.refresh_from_db()
    assert (contact.city, contact.title) == ("Lyon", "Engineer")


def test_stale_version_is_409_and_changes_nothing(api_client, rep_a):
    contact = make_contact(owner=rep_a, city="Paris")
    client = api_client(rep_a)
    url = f"/api/v1/contacts/{contact.pk}"
    client.patch(url, {"version": 1, "city": "Lyon"}, content_type=JSON)

    response = client.patch(url, {"version": 1, "city": "Nice"}, content_type=JSON)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_conflict"
    assert "version" in response.json()["error"]["fields"]
    assert Contact.objects.get(pk=contact.pk).city == "Lyon"


def test_patch_without_version_is_422(api_client, rep_a):
    contact = make_contact(owner=rep_a)

    response = api_client(rep_a).patch(
        f"/api/v1/contacts/{contact.pk}", {"city": "Lyon"}, content_type=JSON
    )

    assert response.status_code == 422
    assert "version" in response.json()["error"]["fields"]


def test_duplicate_external_id_is_409(api_client, rep_a):
    make_contact(owner=rep_a, external_id="ext-1")

    response = api_client(rep_a).post(
        "/api/v1/contacts", {"last_name": "Two", "external_id": "ext-1"}, content_type=JSON
    )

    assert response.status_code == 409
    assert "external_id" in response.json()["error"]["fields"]
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_name": "X", "email": "not-an-email"}, "email"),
        ({"last_name": "X", "phone": "12"}, "phone"),
        ({"last_name": "X", "country": "Atlantis"}, "country"),
        ({"last_name": "X" * 101}, "last_name"),
        ({"last_name": "X", "notes": "n" * 10_001}, "notes"),
        ({"last_name": "X", "favourite_colour": "blue"}, "favourite_colour"),
        ({"first_name": "No last name"}, "last_name"),
        ({"last_name": "X", "lifecycle_stage": "bogus"}, "lifecycle_stage"),
        ({"last_name": "X", "birth_date": "yesterday"}, "birth_date"),
        ({"last_name": "X", "tags": ["t" * 65]}, "tags.0"),
        ({"last_name": "X", "version": 3}, "version"),
        ({"last_name": "X", "owner_id": 0}, "owner_id"),
    ],
)
def test_bad_contact_input_is_422_naming_the_field_and_stores_nothing(
    api_client, rep_a, payload, field
):
    response = api_client(rep_a).post("/api/v1/contacts", payload, content_type=JSON)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert Contact.objects.count() == 0
    assert not HistoryEntry.objects.filter(record_type="contact").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"version": 1, "email": "nope@"}, "email"),
        ({"version": 1, "mobile": "call me"}, "mobile"),
        ({"version": 1, "country": "Narnia"}, "country"),
        ({"version": 1, "city": "c" * 101}, "city"),
        ({"version": 1, "colour": "red"}, "colour"),
    ],
)
def test_bad_patch_is_422_naming_the_field_and_changes_nothing(api_client, rep_a, payload, field):
    contact = make_contact(owner=rep_a, city="Paris")

    response = api_client(rep_a).patch(f"/api/v1/contacts/{contact.pk}", payload, content_type=JSON)

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    contact.refresh_from_db()
    assert (contact.version, contact.city) == (1, "Paris")
    assert not HistoryEntry.objects.filter(record_type="contact").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"name": "A", "domain": "not a domain"}, "domain"),
        ({"name": "A", "billing_country": "Atlantis"}, "billing_country"),
        ({"name": "A", "employees": -1}, "employees"),
        ({"name": "A", "annual_revenue": "1.234"}, "annual_revenue"),
        ({"name": "A", "phone": "12"}, "phone"),
        ({"name": "A", "parent_id": 999999}, "parent_id"),
    ],
)
def test_bad_account_input_is_422_naming_the_field(api_client, rep_a, payload, field):
    response = api_client(rep_a).post("/api/v1/accounts", payload, content_type=JSON)

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert Account.objects.count() == 0


def test_account_crud_round_trip(api_client, rep_a):
    client = api_client(rep_a)

    created = client.post(
        "/api/v1/accounts",
        {"name": "Acme", "domain": "https://www.Acme.example/about", "annual_revenue": "1000.50"},
        content_type=JSON,
    ).json()
    patched = client.patch(
        f"/api/v1/accounts/{created['id']}", {"version": 1, "industry": "Anvils"}, content_type=JSON
    ).json()
    deleted = client.delete(f"/api/v1/accounts/{created['id']}")

    assert created["domain"] == "acme.example"
    assert float(created["annual_revenue"]) == 1000.5
    assert (patched["industry"], patched["version"]) == ("Anvils", 2)
    assert deleted.status_code == 204
    assert not Account.objects.exists()
    entries = HistoryEntry.objects.filter(record_type="account").order_by("id")
    actions = list(entries.values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]


def test_history_shows_a_patch(api_client, rep_a):
    client = api_client(rep_a)
    contact_id = client.post("/api/v1/contacts", {"last_name": "Ada"}, content_type=JSON).json()[
        "id"
    ]
    client.patch(
        f"/api/v1/contacts/{contact_id}",
        {"version": 1, "title": "Countess", "tags": ["math"]},
        content_type=JSON,
    )

    items = client.get(f"/api/v1/contacts/{contact_id}/history").json()["items"]

    assert [item["action"] for item in items] == ["update", "create"]
    assert items[0]["changes"] == {"title": ["", "Countess"], "tags": [[], ["math"]]}
    assert items[0]["actor_name"] == "rep_a"
    assert items[0]["request_id"]


def test_history_is_paginated(api_client, rep_a):
    contact = make_contact(owner=rep_a)
    client = api_client(rep_a)
    for version, city in enumerate(["A", "B", "C"], start=1):
        client.patch(
            f"/api/v1/contacts/{contact.pk}", {"version": version, "city": city}, content_type=JSON
        )

    first = client.get(f"/api/v1/contacts/{contact.pk}/history?limit=2").json()
    second = client.get(
        f"/api/v1/contacts/{contact.pk}/history?limit=2&cursor={first['next_cursor']}"
    ).json()

    cities = [item["changes"]["city"][1] for item in first["items"] + second["items"]]
    assert cities == ["C", "B", "A"]
    assert second["next_cursor"] is None


def test_account_contacts_lists_only_that_accounts_contacts(api_client, rep_a):
    account = make_account(owner=rep_a)
    inside = make_contact(owner=rep_a, account=account)
    make_contact(owner=rep_a)

    body = api_client(rep_a).get(f"/api/v1/accounts/{account.pk}/contacts").json()

    assert [item["id"] for item in body["items"]] == [inside.pk]


def test_unknown_ordering_and_bad_cursor_are_422(api_client, rep_a):
    client = api_client(rep_a)

    ordering = client.get("/api/v1/contacts?ordering=shoe_size")
    cursor = client.get("/api/v1/contacts?cursor=forged")
    limit = client.get("/api/v1/contacts?limit=201")

    assert "ordering" in ordering.json()["error"]["fields"]
    assert "cursor" in cursor.json()["error"]["fields"]
    assert "limit" in limit.json()["error"]["fields"]


def test_filters_narrow_the_list(api_client, rep_a):
    make_contact(owner=rep_a, last_name="Berlin", country="DE", lifecycle_stage="customer")
    make_contact(owner=rep_a, last_name="Paris", country="FR", lifecycle_stage="lead")
    client = api_client(rep_a)

    by_country = client.get("/api/v1/contacts?country=de").json()["items"]
    by_stage = client.get("/api/v1/contacts?lifecycle_stage=lead").json()["items"]
    by_search = client.get("/api/v1/contacts?q=pari").json()["items"]

    assert [c["last_name"] for c in by_country] == ["Berlin"]
    assert [c["last_name"] for c in by_stage] == ["Paris"]
    assert [c["last_name"] for c in by_search] == ["Paris"]


def test_export_is_a_csv_attachment_of_the_filtered_rows(api_client, rep_a):
    make_contact(owner=rep_a, last_name="Keep", city="Porto")
    make_contact(owner=rep_a, last_name="Drop", city="Faro")

    response = api_client(rep_a).get("/api/v1/contacts/export?city=Porto")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and "Keep" in lines[1]


# Custom fields -------------------------------------------------------------------------------


@pytest.fixture
def contact_fields(db):
    CustomField.objects.create(record_type="contact", key="vip", label="VIP", kind="bool")
    CustomField.objects.create(
        record_type="contact", key="tier", label="Tier", kind="choice", choices=["gold", "silver"]
    )


def test_custom_values_are_coerced_and_returned(api_client, rep_a, contact_fields):
    response = api_client(rep_a).post(
        "/api/v1/contacts",
        {"last_name": "Custom", "custom": {"vip": "yes", "tier": "gold"}},
        content_type=JSON,
    )

    assert response.status_code == 201
    assert response.json()["custom"] == {"vip": True, "tier": "gold"}


@pytest.mark.parametrize(
    ("custom", "field"),
    [
        ({"tier": "bronze"}, "custom.tier"),
        ({"vip": "perhaps"}, "custom.vip"),
        ({"x": 1}, "custom.x"),
    ],
)
def test_bad_custom_values_are_422_naming_the_key(api_client, rep_a, contact_fields, custom, field):
    response = api_client(rep_a).post(
        "/api/v1/contacts", {"last_name": "Custom", "custom": custom}, content_type=JSON
    )

    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not Contact.objects.exists()


def test_patch_merges_custom_values(api_client, rep_a, contact_fields):
    contact = make_contact(owner=rep_a, custom={"vip": True, "tier": "gold"})

    body = (
        api_client(rep_a)
        .patch(
            f"/api/v1/contacts/{contact.pk}",
            {"version": 1, "custom": {"tier": "silver"}},
            content_type=JSON,
        )
        .json()
    )

    assert body["custom"] == {"vip": True, "tier": "silver"}


def test_cf_parameters_filter_the_list(api_client, rep_a, contact_fields):
    vip = make_contact(owner=rep_a, custom={"vip": True, "tier": "gold"})
    make_contact(owner=rep_a, custom={"vip": False, "tier": "gold"})
    client = api_client(rep_a)

    vips = client.get("/api/v1/contacts?cf.vip=yes").json()["items"]
    unknown = client.get("/api/v1/contacts?cf.shoe=42")

    assert [item["id"] for item in vips] == [vip.pk]
    assert unknown.status_code == 422
    assert "cf.shoe" in unknown.json()["error"]["fields"]
