"""Writes of the catalog, by sub-domain: products, price books (and `price_for`), the lines
shared by quotes and orders, quotes, orders. Import from here."""

from cyclecrm.catalog.services.lines import PricingContext, lines_prepare
from cyclecrm.catalog.services.orders import (
    order_create,
    order_delete,
    order_from_quote,
    order_set_status,
    order_update,
)
from cyclecrm.catalog.services.price_books import (
    price_book_create,
    price_book_delete,
    price_book_entry_delete,
    price_book_entry_set,
    price_book_update,
    price_for,
)
from cyclecrm.catalog.services.products import product_create, product_delete, product_update
from cyclecrm.catalog.services.quotes import (
    quote_accept,
    quote_create,
    quote_delete,
    quote_reject,
    quote_send,
    quote_update,
)

__all__ = [
    "PricingContext",
    "lines_prepare",
    "order_create",
    "order_delete",
    "order_from_quote",
    "order_set_status",
    "order_update",
    "price_book_create",
    "price_book_delete",
    "price_book_entry_delete",
    "price_book_entry_set",
    "price_book_update",
    "price_for",
    "product_create",
    "product_delete",
    "product_update",
    "quote_accept",
    "quote_create",
    "quote_delete",
    "quote_reject",
    "quote_send",
    "quote_update",
]
