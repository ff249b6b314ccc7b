"""Products and price books through the API: CRUD with decimal strings, the unique SKU, filters,
export, history, the price rule, and who may do what under the built-in roles."""

import json

import pytest

from cyclecrm.catalog.models import PriceBook, PriceBookEntry, Product
from cyclecrm.catalog.services import price_for
from cyclecrm.catalog.tests.factories import make_entry, make_price_book, make_product
from cyclecrm.core.errors import ValidationFailed

URL = "/api/v1/products"
BOOKS = "/api/v1/price-books"
NEW = {"sku": "GAD-9", "name": "Gadget", "unit_price": "249.50", "currency": "eur"}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


# -- CRUD ------------------------------------------------------------------------------------


def test_create_read_update_delete(api_client, admin):
    client = api_client(admin)

    created = post(client, URL, {**NEW, "tax_percent": "7.5", "vendor": " Acme ", "tags": ["hw"]})

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["unit_price"], body["currency"], body["tax_percent"]) == ("249.50", "EUR", "7.5")
    assert body["vendor"] == "Acme" and body["is_active"] is True and body["tags"] == ["hw"]
    url = f"{URL}/{body['id']}"
    assert client.get(url).json()["sku"] == "GAD-9"

    updated = patch(client, url, {"version": 1, "unit_price": "0.0125", "is_active": False})
    assert updated.status_code == 200
    assert (updated.json()["unit_price"], updated.json()["is_active"]) == ("0.0125", False)
    history = client.get(f"{url}/history").json()["items"]
    assert history[0]["changes"]["unit_price"] == ["249.5000", "0.0125"]

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_a_duplicate_sku_is_a_conflict_naming_sku(api_client, admin, product):
    response = post(api_client(admin), URL, {**NEW, "sku": product.sku})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate"
    assert list(response.json()["error"]["fields"]) == ["sku"]
    other = make_product()
    response = patch(api_client(admin), f"{URL}/{other.pk}", {"version": 1, "sku": product.sku})
    assert response.status_code == 409
    assert list(response.json()["error"]["fields"]) == ["sku"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price": 249.5}, "unit_price"),
        ({"unit_price": "-1"}, "unit_price"),
        ({"unit_price": "1.23456"}, "unit_price"),
        ({"unit_price": "NaN"}, "unit_price"),
        ({"tax_percent": "101"}, "tax_percent"),
        ({"currency": "XX"}, "currency"),
        ({"sku": ""}, "sku"),
    ],
)
def test_invalid_values_are_named(api_client, admin, change, field):
    response = post(api_client(admin), URL, {**NEW, **change})
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_filters_and_orderings(api_client, rep_a):
    cheap = make_product(name="Alpha cable", category="Cables", vendor="Acme", unit_price="2")
    dear = make_product(name="Beta server", category="Servers", vendor="Initech", unit_price="900")
    old = make_product(name="Gamma", category="Cables", vendor="Acme", is_active=False)
    client = api_client(rep_a)

    def ids(query):
        return [item["id"] for item in client.get(f"{URL}?{query}").json()["items"]]

    assert ids("q=cable") == [cheap.pk]
    assert ids(f"q={dear.sku}") == [dear.pk]
    assert ids("q=initech") == [dear.pk]
    assert ids("category=cables") == [cheap.pk, old.pk]
    assert ids("vendor=Acme&active=true") == [cheap.pk]
    assert ids("active=false") == [old.pk]
    assert ids("ordering=-unit_price") == [dear.pk, old.pk, cheap.pk]
    assert client.get(f"{URL}?ordering=bogus").status_code == 422


def test_export(api_client, admin, product):
    response = api_client(admin).get(f"{URL}/export?q=WID")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,sku,name")
    assert "WID-1" in lines[1] and "19.9900" in lines[1]


# -- rights ----------------------------------------------------------------------------------

ROLES = ("admin", "manager", "rep_a", "rep_b", "marketer", "support_agent")


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_only_admins_write(api_client, users, product, role):
    client = api_client(users[role])
    writes = role == "admin"

    assert client.get(f"{URL}/{product.pk}").status_code == 200
    assert product.pk in [item["id"] for item in client.get(URL).json()["items"]]
    created = post(client, URL, {**NEW, "sku": f"NEW-{role}"})
    updated = patch(client, f"{URL}/{product.pk}", {"version": 1, "name": "Renamed"})
    book = post(client, BOOKS, {"name": f"Book {role}", "currency": "EUR"})
    deleted = client.delete(f"{URL}/{product.pk}")

    assert created.status_code == (201 if writes else 403)
    assert updated.status_code == (200 if writes else 403)
    assert book.status_code == (201 if writes else 403)
    assert deleted.status_code == (204 if writes else 403)


# -- price books and the price rule -----------------------------------------------------------


def test_price_book_api(api_client, admin, rep_a, product):
    client = api_client(admin)
    created = post(
        client, BOOKS, {"name": "Schools", "currency": "eur", "countries": ["Germany", "at"],
                        "segment": "Education"},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    book = created.json()
    assert (book["currency"], book["countries"], book["segment"]) == ("EUR", ["AT", "DE"],
                                                                      "Education")  # fmt: skip
    entry = put(client, f"{BOOKS}/{book['id']}/entries/{product.pk}", {"unit_price": "15"})
    assert entry.status_code == 200
    assert entry.json() == {
        "id": entry.json()["id"], "version": 1, "product": product.pk, "sku": "WID-1",
        "name": "Widget", "unit_price": "15.00",
    }  # fmt: skip
    entry_url = f"{BOOKS}/{book['id']}/entries/{product.pk}"
    assert put(client, entry_url, {"unit_price": 15.5, "version": 1}).status_code == 422
    assert put(client, entry_url, {"unit_price": "16"}).status_code == 422  # no version
    assert put(client, entry_url, {"unit_price": "15", "version": 1}).json()["version"] == 2
    stale = put(client, entry_url, {"unit_price": "99", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"

    reader = api_client(rep_a)
    assert [b["name"] for b in reader.get(BOOKS).json()["items"]] == ["Schools"]
    assert reader.get(f"{BOOKS}/{book['id']}/entries").json()["items"][0]["unit_price"] == "15.00"
    price = reader.get(f"{URL}/{product.pk}/price?currency=EUR&country=DE&segment=education")
    assert price.json()["unit_price"] == "15.00"
    price = reader.get(f"{URL}/{product.pk}/price?currency=EUR&country=FR")
    assert price.json()["unit_price"] == "19.99"
    price = reader.get(f"{URL}/{product.pk}/price?currency=USD")
    assert price.status_code == 422 and price.json()["error"]["code"] == "no_price"

    assert post(client, BOOKS, {"name": "Schools", "currency": "EUR"}).status_code == 409
    changed = patch(client, f"{BOOKS}/{book['id']}", {"is_active": False, "version": 1})
    assert changed.json()["is_active"] is False
    assert client.delete(f"{BOOKS}/{book['id']}/entries/{product.pk}").status_code == 204
    assert client.delete(f"{BOOKS}/{book['id']}").status_code == 204
    assert not PriceBook.objects.exists() and not PriceBookEntry.objects.exists()


def test_price_for_picks_the_most_specific_applicable_book(db, product):
    general = make_price_book(name="Euro list")
    dach = make_price_book(name="DACH", countries=["DE", "AT"])
    schools = make_price_book(name="Schools", segment="Education")
    schools_de = make_price_book(name="Schools DE", segment="education", countries=["DE"])
    inactive = make_price_book(name="Old", countries=["DE"], is_active=False)
    dollars = make_price_book(name="US", currency="USD")
    for book, price in ((general, "18"), (dach, "17"), (schools, "12"), (schools_de, "11"),
                        (inactive, "1"), (dollars, "25")):  # fmt: skip
        make_entry(book, product, price)

    def price(**kwargs):
        return str(price_for(product, **kwargs).normalize())

    assert price(currency="EUR") == "18"
    assert price(currency="EUR", country="FR") == "18"
    assert price(currency="EUR", country="de") == "17"
    assert price(currency="EUR", country="FR", segment="Education") == "12"
    assert price(currency="EUR", country="DE", segment="EDUCATION") == "11"
    assert price(currency="usd") == "25"
    general.delete()
    assert price(currency="EUR", country="FR") == "19.99"  # the list price
    with pytest.raises(ValidationFailed) as caught:
        price_for(product, currency="GBP")
    assert "WID-1" in caught.value.message


def test_price_book_listing_is_read_only_for_non_admins(api_client, rep_a):
    book = make_price_book(name="Partners")
    client = api_client(rep_a)
    assert client.get(f"{BOOKS}/{book.pk}").status_code == 200
    assert patch(client, f"{BOOKS}/{book.pk}", {"name": "x", "version": 1}).status_code == 403
    assert client.delete(f"{BOOKS}/{book.pk}").status_code == 403
    assert Product.objects.count() == 0
