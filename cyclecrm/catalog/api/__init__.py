"""The catalog's REST routers, mounted by `cyclecrm.api.root` under /api/v1."""

from cyclecrm.catalog.api.orders import orders_router
from cyclecrm.catalog.api.price_books import price_books_router
from cyclecrm.catalog.api.products import products_router
from cyclecrm.catalog.api.quotes import quotes_router

__all__ = ["orders_router", "price_books_router", "products_router", "quotes_router"]
