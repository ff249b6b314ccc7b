"""Orders through the API: created with lines (and imported from the past), filtered, moved
through their statuses, and visible by their owner and team."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from cyclecrm.catalog.models import Order
from cyclecrm.catalog.tests.factories import make_order, make_product
from cyclecrm.core.testing.factories import make_account, make_contact

URL = "/api/v1/orders"


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_create_with_lines_priced_like_quotes(api_client, rep_a, deal, product):
    body = {
        "contact": deal.contact.pk,
        "lines": [
            {"product": product.pk, "quantity": "3", "discount_percent": "10"},
            {"description": "Shipping", "quantity": "1", "unit_price": "4.90"},
        ],
    }

    response = post(api_client(rep_a), URL, body)

    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["account"] == deal.account.pk  # the contact's account
    assert order["currency"] == "EUR"  # the account's currency
    assert order["status"] == "pending"
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("58.87", "10.25", "69.12")
    assert re.fullmatch(r"O-\d{4}-00001", order["number"])


def test_import_a_past_order(api_client, rep_a, deal):
    discontinued = make_product(is_active=False, unit_price="5")
    ordered_at = "2019-03-01T10:00:00Z"
    body = {
        "account": deal.account.pk,
        "ordered_at": ordered_at,
        "status": "fulfilled",
        "number": "SHOP-1001",
        "external_id": "shopify:1001",
        "currency": "EUR",
        "lines": [{"product": discontinued.pk, "quantity": "2"}],
    }
    client = api_client(rep_a)

    response = post(client, URL, body)

    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert order.ordered_at == dt.datetime(2019, 3, 1, 10, tzinfo=dt.UTC)
    assert (order.status, order.number, order.external_id) == ("fulfilled", "SHOP-1001",
                                                                "shopify:1001")  # fmt: skip
    again = post(client, URL, {**body, "number": "SHOP-1002"})
    assert again.status_code == 409
    assert list(again.json()["error"]["fields"]) == ["external_id"]
    same_number = post(client, URL, {**body, "external_id": "x"})
    assert same_number.status_code == 409
    assert list(same_number.json()["error"]["fields"]) == ["number"]


def test_order_validation(api_client, rep_a, rep_b, deal, product):
    client = api_client(rep_a)
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()
    other_account = make_account(owner=rep_a)
    foreign = make_account(owner=rep_b)
    line = {"product": product.pk, "quantity": "1"}

    def fields(body):
        response = post(client, URL, {"currency": "EUR", **body})
        assert response.status_code == 422, response.json()
        return set(response.json()["error"]["fields"])

    assert fields({"lines": []}) == {"lines"}
    assert fields({"ordered_at": future, "lines": [line]}) == {"ordered_at"}
    assert fields({"account": foreign.pk, "lines": [line]}) == {"account"}
    assert fields({"account": other_account.pk, "contact": deal.contact.pk, "lines": [line]}) == {
        "contact"
    }
    assert fields({"lines": [{**line, "quantity": 2.0}]}) == {"lines.0.quantity"}
    assert fields({"status": "shipped", "lines": [line]}) == {"status"}


def test_status_moves(api_client, rep_a):
    order = make_order(rep_a)
    client = api_client(rep_a)

    def move(status):
        return post(client, f"{URL}/{order.pk}/status", {"status": status})

    assert move("fulfilled").status_code == 409
    assert move("paid").json()["status"] == "paid"
    refused = move("cancelled")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "order_status"
    assert move("fulfilled").json()["status"] == "fulfilled"
    assert move("refunded").json()["status"] == "refunded"
    assert move("paid").status_code == 409
    history = client.get(f"{URL}/{order.pk}/history").json()["items"]
    assert [item["changes"]["status"][1] for item in history] == ["refunded", "fulfilled", "paid"]


def test_cancel_only_a_pending_order(api_client, rep_a):
    order = make_order(rep_a)
    response = post(api_client(rep_a), f"{URL}/{order.pk}/status", {"status": "cancelled"})
    assert response.json()["status"] == "cancelled"


def test_lines_change_only_while_pending(api_client, rep_a, product):
    order = make_order(rep_a)
    client = api_client(rep_a)
    lines = [{"product": product.pk, "quantity": "2"}]

    changed = patch(client, f"{URL}/{order.pk}", {"version": 1, "lines": lines})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["total"] == "47.58"  # 2 * 19.99 = 39.98 + 19 % = 7.60
    post(client, f"{URL}/{order.pk}/status", {"status": "paid"})

    refused = patch(client, f"{URL}/{order.pk}", {"version": 3, "lines": lines})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_not_pending"
    contact = make_contact(owner=rep_a)
    relinked = patch(client, f"{URL}/{order.pk}", {"version": 3, "contact": contact.pk})
    assert relinked.status_code == 200 and relinked.json()["contact"] == contact.pk
    assert (
        patch(client, f"{URL}/{order.pk}", {"version": 4, "status": "pending"}).status_code == 422
    )


def test_delete_only_pending_or_cancelled(api_client, rep_a):
    client = api_client(rep_a)
    paid = make_order(rep_a, status="paid")
    pending = make_order(rep_a)
    assert client.delete(f"{URL}/{paid.pk}").status_code == 409
    assert client.delete(f"{URL}/{pending.pk}").status_code == 204


def test_list_filters(api_client, rep_a, deal):
    now = timezone.now()
    old = make_order(rep_a, account=deal.account, ordered_at=now - dt.timedelta(days=400))
    recent = make_order(
        rep_a, account=deal.account, contact=deal.contact, status="paid", lines=3,
        ordered_at=now - dt.timedelta(days=2),
    )  # fmt: skip
    other = make_order(rep_a, lines=10)
    product_line = recent.lines.first()
    product = make_product()
    product_line.product = product
    product_line.save()
    client = api_client(rep_a)

    def ids(query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    assert ids("") == [other.pk, recent.pk, old.pk]  # newest first
    assert ids(f"account={deal.account.pk}") == [recent.pk, old.pk]
    assert ids(f"contact={deal.contact.pk}") == [recent.pk]
    assert ids("status=paid") == [recent.pk]
    since = (now - dt.timedelta(days=30)).date().isoformat()
    assert ids(f"ordered_after={since}") == [other.pk, recent.pk]
    assert ids(f"ordered_before={since}") == [old.pk]
    assert ids("total_min=30&total_max=40") == [recent.pk]  # 35.70
    assert ids("total_min=100") == [other.pk]
    assert ids(f"product={product.pk}") == [recent.pk]
    assert ids("ordering=total") == [old.pk, recent.pk, other.pk]
    assert ids(f"q={old.number}") == [old.pk]


# role -> (sees rep_a's order, may create orders)
MATRIX = {
    "admin": (True, True),
    "manager": (True, True),
    "rep_a": (True, True),
    "rep_b": (False, True),
    "marketer": (False, True),
    "support_agent": (True, False),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_order_rights_over_the_built_in_roles(api_client, users, product, role):
    order = make_order(users["rep_a"])
    client = api_client(users[role])
    sees, creates = MATRIX[role]

    listed = [item["id"] for item in client.get(URL).json()["items"]]
    detail = client.get(f"{URL}/{order.pk}")
    created = post(client, URL, {"currency": "EUR", "lines": [{"product": product.pk,
                                                               "quantity": "1"}]})  # fmt: skip

    assert (order.pk in listed) is sees
    assert detail.status_code == (200 if sees else 404)
    assert created.status_code == (201 if creates else 403)
    status = post(client, f"{URL}/{order.pk}/status", {"status": "paid"}).status_code
    if role in ("admin", "manager", "rep_a"):
        assert status == 200
    else:
        assert status == (403 if sees else 404)
