"""The catalog pages through the web client: products, the quote builder and its htmx line
editor, quote and order actions, the order builder, price book settings, purchase history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cyclecrm.catalog.models import Order, PriceBook, Product, Quote
from cyclecrm.catalog.tests.factories import (
    make_entry,
    make_order,
    make_price_book,
    make_product,
    make_quote,
)
from cyclecrm.core.testing.factories import make_account, make_contact

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.content.decode()


# -- products --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager", "rep_b", "marketer", "support_agent"])
def test_product_pages_by_role(web_client, users, product, role):
    client = web_client(users[role])
    admin = role == "admin"

    listing = client.get(reverse("product_list"))
    detail = client.get(reverse("product_detail", args=[product.pk]))

    assert listing.status_code == 200 and "WID-1" in text(listing)
    assert detail.status_code == 200 and "19.99" in text(detail)
    assert ("New product" in text(listing)) is admin
    assert client.get(reverse("product_create")).status_code == (200 if admin else 403)
    assert client.get(reverse("product_edit", args=[product.pk])).status_code == (
        200 if admin else 403
    )


def test_create_a_free_inactive_product(web_client, admin):
    response = web_client(admin).post(
        reverse("product_create"),
        {"sku": "FREE-1", "name": "Sample", "unit_price": "0", "currency": "EUR",
         "tax_percent": "0", "owner": admin.pk},
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    product = Product.objects.get(sku="FREE-1")
    assert (product.unit_price, product.is_active) == (Decimal(0), False)


def test_duplicate_sku_on_the_form(web_client, admin, product):
    response = web_client(admin).post(
        reverse("product_create"),
        {"sku": "WID-1", "name": "Copy", "unit_price": "1", "currency": "EUR", "owner": admin.pk},
    )
    assert response.status_code == 409
    assert "Another product has this SKU" in text(response)


def test_product_picker_lists_active_products(web_client, rep_a, product):
    make_product(name="Widget old", is_active=False)
    response = web_client(rep_a).get(reverse("product_pick"), {"term": "widget"})
    assert "Widget (WID-1) · 19.99 EUR" in text(response)
    assert "Widget old" not in text(response)


# -- quote builder ---------------------------------------------------------------------------


def editor_post(client, deal, action="", **lines):
    data = {"opportunity": deal.opportunity.pk, "currency": "EUR", "action": action, **lines}
    return client.post(reverse("quote_lines"), data, headers=HTMX)


def test_builder_page_for_an_opportunity(web_client, rep_a, deal):
    response = web_client(rep_a).get(reverse("quote_create"), {"opportunity": deal.opportunity.pk})
    assert response.status_code == 200
    body = text(response)
    assert "Acme rollout" in body and 'value="EUR"' in body
    assert 'id="line-editor"' in body and 'hx-post="/quotes/lines/"' in body


def test_builder_does_not_offer_an_invisible_opportunity(web_client, rep_b, deal):
    response = web_client(rep_b).get(reverse("quote_create"), {"opportunity": deal.opportunity.pk})
    assert response.status_code == 200
    assert "Acme rollout" not in text(response)
    assert "choose an open opportunity" in text(response)


def test_picking_a_product_fills_price_and_tax(web_client, rep_a, deal, product):
    make_entry(make_price_book(countries=["DE"]), product, "17.50")

    response = editor_post(
        web_client(rep_a),
        deal,
        "fill:0",
        **{"lines-0-product": product.pk, "lines-0-quantity": "2"},
    )

    body = text(response)
    assert response.status_code == 200
    assert 'name="lines-0-unit_price" value="17.50"' in body
    assert 'name="lines-0-tax_percent" value="19"' in body
    assert 'name="lines-0-description" value="Widget"' in body
    assert "35.00 EUR" in body  # the net, computed on the server
    assert "41.65 EUR" in body  # total: 35.00 + 6.65 tax


def test_totals_are_recomputed_on_the_server(web_client, rep_a, deal):
    lines = {
        "lines-0-description": "A", "lines-0-quantity": "3", "lines-0-unit_price": "19.99",
        "lines-0-discount_percent": "10", "lines-0-tax_percent": "19",
        "lines-1-description": "B", "lines-1-quantity": "3", "lines-1-unit_price": "0.335",
        "lines-1-tax_percent": "0",
    }  # fmt: skip
    body = text(editor_post(web_client(rep_a), deal, **lines))
    assert 'id="editor-subtotal">54.98 EUR' in body  # 53.97 + 1.01
    assert 'id="editor-tax">10.25 EUR' in body
    assert 'id="editor-total">65.23 EUR' in body


def test_add_and_remove_lines(web_client, rep_a, deal):
    client = web_client(rep_a)
    one = {"lines-0-description": "A", "lines-0-quantity": "1", "lines-0-unit_price": "5"}

    added = text(editor_post(client, deal, "add", **one))
    assert 'name="lines-1-quantity" value="1"' in added

    two = {**one, "lines-1-description": "B", "lines-1-quantity": "1", "lines-1-unit_price": "7"}
    removed = text(editor_post(client, deal, "remove:0", **two))
    assert 'name="lines-0-description" value="B"' in removed
    assert "lines-1-" not in removed
    assert 'id="editor-total">7.00 EUR' in removed


def test_line_errors_are_shown_on_their_row(web_client, rep_a, deal):
    lines = {
        "lines-0-description": "A", "lines-0-quantity": "1", "lines-0-unit_price": "5",
        "lines-1-description": "B", "lines-1-quantity": "1", "lines-1-unit_price": "5",
        "lines-1-discount_percent": "150",
    }  # fmt: skip
    body = text(editor_post(web_client(rep_a), deal, **lines))
    assert 'id="id_lines-1-discount_percent"' in body
    assert "form-control form-control-sm text-end is-invalid" in body
    assert "between 0 and 100" in body
    assert "Correct the marked lines" in body
    assert 'id="editor-total">—' in body


def test_saving_the_builder_creates_the_quote(web_client, rep_a, deal, product):
    data = {
        "opportunity": deal.opportunity.pk, "currency": "EUR", "valid_until": "2030-06-30",
        "notes": "Thanks!", "segment": "",
        "lines-0-product": product.pk, "lines-0-description": "Widget", "lines-0-quantity": "2",
        "lines-0-unit_price": "", "lines-0-discount_percent": "", "lines-0-tax_percent": "",
        "lines-1-product": "", "lines-1-description": "", "lines-1-quantity": "1",
        "lines-1-unit_price": "", "lines-1-discount_percent": "", "lines-1-tax_percent": "",
    }  # fmt: skip

    response = web_client(rep_a).post(reverse("quote_create"), data)

    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.total == Decimal("47.58")  # 39.98 + 7.60
    assert quote.lines.count() == 1  # the blank row is ignored
    assert (quote.notes, quote.valid_until.isoformat()) == ("Thanks!", "2030-06-30")


def test_saving_with_errors_keeps_the_input(web_client, rep_a, deal):
    data = {
        "opportunity": deal.opportunity.pk, "currency": "EUR", "valid_until": "soon",
        "lines-0-description": "A", "lines-0-quantity": "-1", "lines-0-unit_price": "5",
    }  # fmt: skip
    response = web_client(rep_a).post(reverse("quote_create"), data)
    assert response.status_code == 422
    body = text(response)
    assert "YYYY-MM-DD" in body and "greater than 0" in body
    assert 'name="lines-0-quantity" value="-1"' in body
    assert not Quote.objects.exists()


def test_editing_a_draft_replaces_its_lines(web_client, rep_a):
    quote = make_quote(rep_a, lines=2)
    client = web_client(rep_a)
    page = client.get(reverse("quote_edit", args=[quote.pk]))
    assert 'name="lines-1-unit_price" value="10.00"' in text(page)
    data = {
        "version": quote.version, "currency": "EUR", "valid_until": "",
        "lines-0-description": "Only", "lines-0-quantity": "1", "lines-0-unit_price": "3",
    }  # fmt: skip

    response = client.post(reverse("quote_edit", args=[quote.pk]), data)

    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.total == Decimal("3.00") and quote.lines.count() == 1
    stale = client.post(reverse("quote_edit", args=[quote.pk]), data)
    assert stale.status_code == 409 and "Someone else changed" in text(stale)


def test_a_sent_quote_cannot_be_edited_in_the_builder(web_client, rep_a):
    quote = make_quote(rep_a, status="sent")
    response = web_client(rep_a).get(reverse("quote_edit", args=[quote.pk]))
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"


# -- quote page and actions ------------------------------------------------------------------


def test_quote_page_shows_lines_totals_and_draft_actions(web_client, rep_a):
    quote = make_quote(rep_a, lines=2)
    body = text(web_client(rep_a).get(reverse("quote_detail", args=[quote.pk])))
    assert "23.80 EUR" in body and "Mark as sent" in body and "Download PDF" in body
    assert "Edit lines" in body and "Accept" not in body


def test_send_accept_through_the_page(web_client, rep_a, deal):
    quote = make_quote(rep_a, opportunity=deal.opportunity)
    client = web_client(rep_a)

    assert client.post(reverse("quote_send", args=[quote.pk])).status_code == 302
    page = text(client.get(reverse("quote_detail", args=[quote.pk])))
    assert "Accept" in page and "Mark as sent" not in page
    accepted = client.post(reverse("quote_accept", args=[quote.pk]))

    order = Order.objects.get()
    assert accepted["Location"] == f"/orders/{order.pk}/"
    assert order.account == deal.account
    again = client.post(reverse("quote_accept", args=[quote.pk]), follow=True)
    assert "Only a sent quote can be accepted" in text(again)
    assert Order.objects.count() == 1


def test_rep_b_cannot_see_or_act_on_rep_as_quote(web_client, rep_a, rep_b):
    quote = make_quote(rep_a)
    client = web_client(rep_b)
    assert quote.number not in text(client.get(reverse("quote_list")))
    for name in ("quote_detail", "quote_pdf", "quote_edit"):
        assert client.get(reverse(name, args=[quote.pk])).status_code == 404
    assert client.post(reverse("quote_send", args=[quote.pk])).status_code == 404


def test_pdf_download(web_client, rep_a):
    quote = make_quote(rep_a)
    response = web_client(rep_a).get(reverse("quote_pdf", args=[quote.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")


def test_only_drafts_can_be_deleted_from_the_page(web_client, rep_a):
    sent = make_quote(rep_a, status="sent")
    client = web_client(rep_a)
    assert "Delete" not in text(client.get(reverse("quote_detail", args=[sent.pk])))
    assert client.post(reverse("quote_delete", args=[sent.pk])).status_code == 403
    draft = make_quote(rep_a)
    assert client.post(reverse("quote_delete", args=[draft.pk])).status_code == 302
    assert list(Quote.objects.all()) == [sent]


# -- orders ----------------------------------------------------------------------------------


def test_order_builder_and_status_moves(web_client, rep_a, deal, product):
    client = web_client(rep_a)
    page = client.get(reverse("order_create"), {"account": deal.account.pk})
    assert page.status_code == 200 and "Acme GmbH" in text(page)
    data = {
        "account": deal.account.pk, "contact": deal.contact.pk, "currency": "EUR",
        "ordered_at": "2026-01-15T09:30", "status": "pending",
        "lines-0-product": product.pk, "lines-0-quantity": "1",
    }  # fmt: skip

    created = client.post(reverse("order_create"), data)

    order = Order.objects.get()
    assert created["Location"] == f"/orders/{order.pk}/"
    assert order.total == Decimal("23.79") and order.contact == deal.contact
    detail = text(client.get(reverse("order_detail", args=[order.pk])))
    assert "Mark as paid" in detail and "Cancel order" in detail and "Refund" not in detail
    client.post(reverse("order_status", args=[order.pk]), {"status": "paid"})
    order.refresh_from_db()
    assert order.status == "paid"
    locked = text(client.get(reverse("order_edit", args=[order.pk])))
    assert "no longer change" in locked and 'name="lines-0-quantity"' not in locked
    wrong = client.post(reverse("order_status", args=[order.pk]), {"status": "cancelled"},
                        follow=True)  # fmt: skip
    assert "it can move to" in text(wrong)


def test_order_list_filters_on_the_page(web_client, rep_a, deal):
    mine = make_order(rep_a, account=deal.account, status="paid")
    other = make_order(rep_a)
    body = text(web_client(rep_a).get(reverse("order_list"), {"account": deal.account.pk}))
    assert mine.number in body and other.number not in body
    assert "Acme GmbH" in body  # the chip names the account


# -- purchase history on account and contact pages ----------------------------------------


def test_purchase_history_shows_the_orders_the_viewer_may_read(web_client, rep_a, rep_b):
    account = make_account(owner=rep_b, name="Shared Customer")
    contact = make_contact(owner=rep_b, account=account)
    theirs = make_order(rep_b, account=account, contact=contact)
    hidden = make_order(rep_a, account=account, contact=contact)
    client = web_client(rep_b)

    for url in (reverse("account_detail", args=[account.pk]),
                reverse("contact_detail", args=[contact.pk])):  # fmt: skip
        body = text(client.get(url))
        assert "Purchase history" in body
        assert theirs.number in body and hidden.number not in body
        assert "New order" in body


# -- price book settings ---------------------------------------------------------------------


def test_price_book_settings(web_client, admin, rep_a, product):
    client = web_client(admin)
    created = client.post(
        reverse("price_book_create"),
        {"name": "Austria", "currency": "eur", "countries": "Austria", "segment": "",
         "is_active": "on"},
    )  # fmt: skip
    book = PriceBook.objects.get()
    assert created["Location"] == reverse("price_book_edit", args=[book.pk])
    assert (book.currency, book.countries) == ("EUR", ["AT"])
    bad = client.post(reverse("price_book_entry_set", args=[book.pk]),
                      {"product": product.pk, "unit_price": "-2"})  # fmt: skip
    assert bad.status_code == 422
    client.post(reverse("price_book_entry_set", args=[book.pk]),
                {"product": product.pk, "unit_price": "18.5"})  # fmt: skip
    page = text(client.get(reverse("price_book_edit", args=[book.pk])))
    assert "WID-1" in page and "18.50" in page

    reader = web_client(rep_a)
    assert "Austria" in text(reader.get(reverse("price_book_list")))
    assert reader.get(reverse("price_book_create")).status_code == 403
    assert reader.post(reverse("price_book_entry_set", args=[book.pk]),
                       {"product": product.pk, "unit_price": "1"}).status_code == 403  # fmt: skip
    client.post(reverse("price_book_entry_delete", args=[book.pk, product.pk]))
    assert not book.entries.exists()
    client.post(reverse("price_book_delete", args=[book.pk]))
    assert not PriceBook.objects.exists()


def test_a_listed_price_is_changed_in_its_row_with_the_version_read(web_client, admin, product):
    client = web_client(admin)
    book = PriceBook.objects.create(name="Austria", currency="EUR")
    url = reverse("price_book_entry_set", args=[book.pk])
    client.post(url, {"product": product.pk, "unit_price": "18.5"})
    entry = book.entries.get()
    page = text(client.get(reverse("price_book_edit", args=[book.pk])))
    assert f'name="version" value="{entry.version}"' in page

    again = client.post(url, {"product": product.pk, "unit_price": "20"})  # the add form
    changed = client.post(
        url, {"product": product.pk, "unit_price": "19", "version": entry.version}
    )
    stale = client.post(url, {"product": product.pk, "unit_price": "21", "version": entry.version})

    assert again.status_code == 422
    assert "change it in its row above" in text(again)
    assert changed.status_code == 302
    assert stale.status_code == 422
    assert "Someone else changed this price" in text(stale)
    assert book.entries.get().unit_price == Decimal("19")


def test_navigation_entries_appear(web_client, rep_a):
    body = text(web_client(rep_a).get("/"))
    for url in ("/products/", "/quotes/", "/orders/", "/settings/price-books/"):
        assert f'href="{url}"' in body
