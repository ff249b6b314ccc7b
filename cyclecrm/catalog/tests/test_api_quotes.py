"""Quotes through the API: totals by the pricing rule, validation named by line, statuses,
accepting into an order, the PDF, and who sees what."""

import base64
import json
import re
import zlib
from decimal import Decimal

import pytest

from cyclecrm.catalog.models import Order, Quote, QuoteStatus
from cyclecrm.catalog.tests.factories import (
    make_entry,
    make_opportunity,
    make_price_book,
    make_product,
    make_quote,
)
from cyclecrm.core.models import HistoryEntry

URL = "/api/v1/quotes"


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def create(client, deal, lines, **extra):
    return post(client, URL, {"opportunity": deal.opportunity.pk, "lines": lines, **extra})


# -- totals ----------------------------------------------------------------------------------


def test_totals_follow_the_rounding_rule(api_client, rep_a, deal, product):
    # given three lines: a product with its defaults and a discount, and two free lines
    lines = [
        {"product": product.pk, "quantity": "3", "discount_percent": "10"},
        {"description": "Installation", "quantity": 1, "unit_price": "100", "tax_percent": "19"},
        {"description": "Cable", "quantity": "2.5", "unit_price": "4.10", "tax_percent": "7"},
    ]

    # when rep_a creates the quote
    response = create(api_client(rep_a), deal, lines, currency="EUR")

    # then every amount is a decimal string computed by hand
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("164.22", "29.97", "194.19")
    assert [(line["net"], line["tax"]) for line in body["lines"]] == [
        ("53.97", "10.25"),
        ("100.00", "19.00"),
        ("10.25", "0.72"),
    ]
    first = body["lines"][0]
    assert first["unit_price"] == "19.99"  # the product's list price
    assert first["tax_percent"] == "19"  # the product's tax rate
    assert first["description"] == "Widget"
    assert body["status"] == "draft"
    assert re.fullmatch(r"Q-\d{4}-00001", body["number"])
    quote = Quote.objects.get(pk=body["id"])
    assert quote.total == Decimal("194.19")
    assert quote.lines.count() == 3


def test_a_half_cent_rounds_up(api_client, rep_a, deal):
    lines = [{"description": "Tiny", "quantity": "3", "unit_price": "0.335", "tax_percent": "0"}]
    body = create(api_client(rep_a), deal, lines, currency="EUR").json()
    assert body["total"] == "1.01"


def free(quantity, price, discount="0", tax="0"):
    return {"description": "Item", "quantity": quantity, "unit_price": price,
            "discount_percent": discount, "tax_percent": tax}  # fmt: skip


@pytest.mark.parametrize(
    ("currency", "lines", "totals"),
    [
        ("JPY", [free("3", "333", "10", "10"), free("1", "1005", "50")], ("1402", "90", "1492")),
        ("KWD", [free("1", "1.2345", tax="5")], ("1.235", "0.062", "1.297")),
    ],
)
def test_currencies_with_other_minor_units(api_client, rep_a, deal, currency, lines, totals):
    body = create(api_client(rep_a), deal, lines, currency=currency).json()
    assert (body["subtotal"], body["tax_total"], body["total"]) == totals


def test_the_price_book_price_applies_to_the_customer(api_client, rep_a, deal, product):
    german = make_price_book(name="DACH", currency="EUR", countries=["DE", "AT", "CH"])
    make_entry(german, product, "17.50")
    body = create(api_client(rep_a), deal, [{"product": product.pk, "quantity": "2"}]).json()
    assert body["lines"][0]["unit_price"] == "17.50"
    assert body["subtotal"] == "35.00"


def test_a_product_without_a_price_in_the_currency_is_named(api_client, rep_a, deal, product):
    response = create(api_client(rep_a), deal, [{"product": product.pk, "quantity": "1"}],
                      currency="USD")  # fmt: skip
    assert response.status_code == 422
    assert "lines.0.unit_price" in response.json()["error"]["fields"]


# -- validation ------------------------------------------------------------------------------


def test_a_float_is_refused(api_client, rep_a, deal, product):
    response = create(
        api_client(rep_a), deal, [{"product": product.pk, "quantity": 1, "unit_price": 19.99}]
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["lines.0.unit_price"]
    assert "decimal strings" in fields["lines.0.unit_price"][0]
    assert not Quote.objects.exists()


def test_bad_line_values_are_named_by_index(api_client, rep_a, deal, product):
    lines = [
        {"product": product.pk, "quantity": "1"},
        {"product": product.pk, "quantity": "0"},
        {"product": product.pk, "quantity": "1", "discount_percent": "120"},
        {"product": product.pk, "quantity": "1", "tax_percent": "-1", "unit_price": "-3"},
        {"quantity": "1", "unit_price": "5"},
        {"product": 999999, "quantity": "1"},
    ]

    response = create(api_client(rep_a), deal, lines)

    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {
        "lines.1.quantity",
        "lines.2.discount_percent",
        "lines.3.tax_percent",
        "lines.3.unit_price",
        "lines.4.description",
        "lines.5.product",
    }


def test_an_inactive_product_cannot_be_quoted(api_client, rep_a, deal):
    old = make_product(is_active=False)
    response = create(api_client(rep_a), deal, [{"product": old.pk, "quantity": "1"}])
    assert response.status_code == 422
    assert "lines.0.product" in response.json()["error"]["fields"]


def test_the_opportunity_must_be_readable(api_client, rep_b, deal):
    response = create(api_client(rep_b), deal, [])
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"opportunity": ["No opportunity with this id."]}


def test_unknown_fields_and_bad_currency(api_client, rep_a, deal):
    client = api_client(rep_a)
    assert "discount" in create(client, deal, [], discount="5").json()["error"]["fields"]
    response = create(client, deal, [], currency="EURO")
    assert response.status_code == 422
    assert "currency" in response.json()["error"]["fields"]
    response = create(client, deal, [], currency="XYZ")
    assert response.json()["error"]["fields"]["currency"][0].startswith("Unknown currency")


# -- numbering -------------------------------------------------------------------------------


def test_numbers_are_sequential(api_client, rep_a, deal):
    client = api_client(rep_a)
    numbers = [create(client, deal, []).json()["number"] for _ in range(3)]
    assert [n[-5:] for n in numbers] == ["00001", "00002", "00003"]


# -- editing and statuses --------------------------------------------------------------------


def test_patch_replaces_the_lines_and_recomputes(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()

    response = patch(
        client,
        f"{URL}/{created['id']}",
        {
            "version": created["version"],
            "notes": "Delivery in May",
            "lines": [{"description": "Service", "quantity": "2", "unit_price": "50"}],
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [line["description"] for line in body["lines"]] == ["Service"]
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("100.00", "0.00", "100.00")
    assert body["notes"] == "Delivery in May"
    assert body["version"] == created["version"] + 1
    stale = patch(client, f"{URL}/{created['id']}", {"version": created["version"], "notes": "x"})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"


def test_changing_the_currency_needs_the_lines(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    response = patch(client, f"{URL}/{created['id']}", {"version": 1, "currency": "USD"})
    assert response.status_code == 422
    assert "lines" in response.json()["error"]["fields"]


def test_only_drafts_are_editable(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    sent = post(client, f"{URL}/{created['id']}/send").json()
    assert sent["status"] == "sent" and sent["sent_at"]

    response = patch(client, f"{URL}/{created['id']}", {"version": sent["version"], "notes": "x"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "quote_not_draft"
    assert post(client, f"{URL}/{created['id']}/send").status_code == 409
    assert client.delete(f"{URL}/{created['id']}").status_code == 409


def test_an_empty_quote_cannot_be_sent(api_client, rep_a, deal):
    client = api_client(rep_a)
    created = create(client, deal, []).json()
    response = post(client, f"{URL}/{created['id']}/send")
    assert response.status_code == 422
    assert "lines" in response.json()["error"]["fields"]


def test_accepting_creates_the_order_with_copied_lines(api_client, rep_a, deal, product):
    # given a sent quote of two lines
    client = api_client(rep_a)
    lines = [
        {"product": product.pk, "quantity": "3", "discount_percent": "10"},
        {"description": "Setup", "quantity": "1", "unit_price": "100", "tax_percent": "19"},
    ]
    created = create(client, deal, lines).json()
    post(client, f"{URL}/{created['id']}/send")

    # when it is accepted
    response = post(client, f"{URL}/{created['id']}/accept")

    # then an order exists for the opportunity's account and contact, with the same lines
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["quote"]["status"] == "accepted" and body["quote"]["decided_at"]
    order = Order.objects.get(pk=body["order"])
    assert body["quote"]["order"] == order.pk
    assert (order.account, order.contact, order.opportunity) == (
        deal.account,
        deal.contact,
        deal.opportunity,
    )
    assert order.quote_id == created["id"]
    assert order.status == "pending"
    assert order.owner == rep_a
    assert (order.subtotal, order.tax_total, order.total) == (
        Decimal("153.97"),
        Decimal("29.25"),
        Decimal("183.22"),
    )
    copied = [(line.product_id, line.description, line.net, line.tax) for line in order.lines.all()]
    assert copied == [
        (product.pk, "Widget", Decimal("53.97"), Decimal("10.25")),
        (None, "Setup", Decimal("100.00"), Decimal("19.00")),
    ]
    assert re.fullmatch(r"O-\d{4}-00001", order.number)
    assert client.get(f"/api/v1/orders/{order.pk}").status_code == 200


def test_accepting_twice_is_a_conflict(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    post(client, f"{URL}/{created['id']}/send")
    assert post(client, f"{URL}/{created['id']}/accept").status_code == 200

    again = post(client, f"{URL}/{created['id']}/accept")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "quote_not_sent"
    assert Order.objects.count() == 1
    assert post(client, f"{URL}/{created['id']}/reject").status_code == 409


def test_a_draft_cannot_be_accepted(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    assert post(client, f"{URL}/{created['id']}/accept").status_code == 409
    assert not Order.objects.exists()


def test_rejecting(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    post(client, f"{URL}/{created['id']}/send")
    body = post(client, f"{URL}/{created['id']}/reject").json()
    assert body["status"] == "rejected" and body["decided_at"]
    assert not Order.objects.exists()


def test_a_failed_order_leaves_the_quote_sent(api_client, rep_a, deal, product):
    # given a sent quote whose owner may not create orders any more
    from cyclecrm.identity.models import Role

    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    post(client, f"{URL}/{created['id']}/send")
    role = Role.objects.get(name="sales_rep")
    role.permissions["order"] = {**role.permissions["order"], "create": "none"}
    role.save()

    # when accepting fails
    response = post(api_client(rep_a), f"{URL}/{created['id']}/accept")

    # then nothing changed: the quote is still sent, no order exists
    assert response.status_code == 403
    assert Quote.objects.get(pk=created["id"]).status == QuoteStatus.SENT
    assert not Order.objects.exists()


def test_history_of_a_quote(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    created = create(client, deal, [{"product": product.pk, "quantity": "1"}]).json()
    post(client, f"{URL}/{created['id']}/send")
    items = client.get(f"{URL}/{created['id']}/history").json()["items"]
    assert [item["action"] for item in items] == ["update", "create"]
    assert items[0]["changes"]["status"] == ["draft", "sent"]
    assert HistoryEntry.objects.filter(record_type="quote").count() == 2


# -- PDF -------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> bytes:
    """The PDF's content, its streams decoded (reportlab writes ASCII85 over Flate)."""
    chunks = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompress(base64.a85decode(stream.strip(), adobe=True)))
        except (ValueError, zlib.error):
            continue
    return b"\n".join(chunks)


def test_the_pdf(api_client, rep_a, deal, product):
    client = api_client(rep_a)
    lines = [{"product": product.pk, "quantity": "3", "discount_percent": "10"}]
    created = create(client, deal, lines, notes="Payment within 30 days", valid_until="2030-01-31")
    quote = created.json()

    response = client.get(f"{URL}/{quote['id']}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for expected in (
        quote["number"],
        "64.22 EUR",  # total
        "53.97 EUR",  # the line's net
        "Acme GmbH",
        "Widget",
        "2030-01-31",
        "Payment within 30 days",
    ):
        assert expected.encode() in text, expected


def test_the_pdf_hides_an_account_the_reader_may_not_see(api_client, manager, rep_a, teams):
    # a quote of rep_a for an account of someone outside the manager's teams
    from cyclecrm.core.testing.factories import make_account, make_user

    outsider = make_user("outsider", role="sales_rep", teams=[teams["marketing"]])
    account = make_account(owner=outsider, name="Secret Corp")
    quote = make_quote(rep_a, opportunity=make_opportunity(rep_a, account=account))
    text = pdf_text(api_client(manager).get(f"{URL}/{quote.pk}/pdf").content)
    assert b"Secret Corp" not in text
    assert quote.number.encode() in text


# -- visibility ------------------------------------------------------------------------------

# role -> (sees rep_a's quote, may create quotes)
MATRIX = {
    "admin": (True, True),
    "manager": (True, True),
    "rep_a": (True, True),
    "rep_b": (False, True),
    "marketer": (False, True),
    "support_agent": (False, True),
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_quote_visibility_follows_its_owner_and_team(api_client, users, role):
    quote = make_quote(users["rep_a"])
    client = api_client(users[role])
    sees, _ = MATRIX[role]

    listed = [item["id"] for item in client.get(URL).json()["items"]]
    detail = client.get(f"{URL}/{quote.pk}")
    pdf = client.get(f"{URL}/{quote.pk}/pdf")

    assert (quote.pk in listed) is sees
    assert detail.status_code == (200 if sees else 404)
    assert pdf.status_code == (200 if sees else 404)
    if not sees:
        for action in ("send", "accept", "reject"):
            assert post(client, f"{URL}/{quote.pk}/{action}").status_code == 404
        assert patch(client, f"{URL}/{quote.pk}", {"version": 1}).status_code == 404


def test_a_shared_quote_becomes_visible(api_client, rep_a, rep_b):
    quote = make_quote(rep_a)
    client = api_client(rep_a)
    assert post(client, f"{URL}/{quote.pk}/shares", {"user_id": rep_b.pk}).status_code == 201
    assert api_client(rep_b).get(f"{URL}/{quote.pk}").status_code == 200


def test_list_filters(api_client, rep_a, deal):
    draft = make_quote(rep_a, opportunity=deal.opportunity)
    sent = make_quote(rep_a, status="sent")
    client = api_client(rep_a)

    def ids(query):
        return {item["id"] for item in client.get(f"{URL}?{query}").json()["items"]}

    assert ids("status=sent") == {sent.pk}
    assert ids(f"opportunity={deal.opportunity.pk}") == {draft.pk}
    assert ids(f"account={deal.account.pk}") == {draft.pk}
    assert ids(f"q={draft.number}") == {draft.pk}
    assert ids("ordering=-total") == {draft.pk, sent.pk}


def test_export(api_client, rep_a):
    make_quote(rep_a, lines=2)
    response = api_client(rep_a).get(f"{URL}/export")
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    assert content.splitlines()[0].startswith("id,number,opportunity_id,status")
    assert "23.8000" in content
