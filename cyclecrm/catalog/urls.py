"""Catalog pages. Products use every generic record page; quotes and orders use the generic
list, detail, history, sharing and export pages, with their own builders for creating and
editing (lines), status actions and the quote PDF."""

from django.urls import URLPattern, path

from cyclecrm.catalog.views import orders, price_books, products, quotes
from cyclecrm.web.records.config import RecordUI
from cyclecrm.web.records.urls import record_urls


def _generic(ui: RecordUI, prefix: str, *, own: tuple[str, ...]) -> list[URLPattern]:
    """The generic record pages of `ui` except those this app serves itself."""
    replaced = {ui.url_name(page) for page in own}
    return [pattern for pattern in record_urls(ui, prefix) if pattern.name not in replaced]


urlpatterns = [
    path("products/pick/", products.product_pick, name="product_pick"),
    *record_urls(products.PRODUCT_UI, "products"),
    path("quotes/new/", quotes.quote_create, name="quote_create"),
    path("quotes/lines/", quotes.quote_lines, name="quote_lines"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/send/", quotes.quote_action, {"action": "send"}, name="quote_send"),
    path("quotes/<int:pk>/accept/", quotes.quote_action, {"action": "accept"}, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quotes.quote_action, {"action": "reject"}, name="quote_reject"),
    path("quotes/<int:pk>/pdf/", quotes.quote_pdf_view, name="quote_pdf"),
    *_generic(quotes.QUOTE_UI, "quotes", own=("create", "edit")),
    path("orders/new/", orders.order_create, name="order_create"),
    path("orders/lines/", orders.order_lines, name="order_lines"),
    path("orders/<int:pk>/edit/", orders.order_edit, name="order_edit"),
    path("orders/<int:pk>/status/", orders.order_status, name="order_status"),
    *_generic(orders.ORDER_UI, "orders", own=("create", "edit")),
    path("settings/price-books/", price_books.price_book_list, name="price_book_list"),
    path("settings/price-books/new/", price_books.price_book_create, name="price_book_create"),
    path("settings/price-books/<int:pk>/", price_books.price_book_edit, name="price_book_edit"),
    path(
        "settings/price-books/<int:pk>/delete/",
        price_books.price_book_delete,
        name="price_book_delete",
    ),
    path(
        "settings/price-books/<int:pk>/prices/",
        price_books.price_book_entry_set,
        name="price_book_entry_set",
    ),
    path(
        "settings/price-books/<int:pk>/prices/<int:product_id>/delete/",
        price_books.price_book_entry_delete,
        name="price_book_entry_delete",
    ),
]
