"""Reads for products, price books, quotes and orders, always starting from the permission gate."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from cyclecrm.catalog.filters import OrderFilters, ProductFilters, QuoteFilters
from cyclecrm.catalog.models import (
    Order,
    OrderLine,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteLine,
)
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.models import Opportunity

PRODUCT_ORDERINGS = orderings_with_reverse(
    {
        "name": ("name", "id"),
        "sku": ("sku", "id"),
        "unit_price": ("unit_price", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
    }
)
QUOTE_ORDERINGS = orderings_with_reverse(
    {
        "created_at": ("created_at", "id"),
        "number": ("number", "id"),
        "total": ("total", "id"),
        "valid_until": ("valid_until", "id"),
        "updated_at": ("updated_at", "id"),
    }
)
ORDER_ORDERINGS = orderings_with_reverse(
    {
        "ordered_at": ("ordered_at", "id"),
        "number": ("number", "id"),
        "total": ("total", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
    }
)
PURCHASE_HISTORY_LIMIT = 10
OPPORTUNITY_QUOTES_LIMIT = 10


def _with_tags(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def _one(queryset: QuerySet, pk: Any, noun: str) -> Any:
    found = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound(f"No {noun} with this id.")
    return found


def _filtered(
    queryset: QuerySet, record_type: str, filters: Any, custom: dict[str, str] | None
) -> QuerySet:
    if filters is not None:
        queryset = filters.filter(queryset)
    if custom:
        queryset = queryset.filter(custom_filter_q(record_type, custom))
    return queryset


# -- products --------------------------------------------------------------------------------


def product_list(
    *,
    actor: User,
    filters: ProductFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Product]:
    queryset = access.restrict(Product.objects.all(), actor, action)
    queryset = _filtered(queryset, Product.record_type, filters, custom)
    return _with_tags(queryset.select_related("owner", "team"))


def product_get(*, actor: User, pk: Any, action: str = Action.READ) -> Product:
    queryset = access.restrict(Product.objects.all(), actor, action)
    return _one(
        _with_tags(queryset.select_related("owner", "team", "created_by", "updated_by")),
        pk,
        "product",
    )


def product_prices(*, actor: User, product: Product) -> QuerySet[PriceBookEntry]:
    """The product's price book entries in books the actor may read."""
    books = access.restrict(PriceBook.objects.all(), actor)
    return (
        PriceBookEntry.objects.filter(product=product, price_book__in=books)
        .select_related("price_book")
        .order_by("price_book__name", "id")
    )


# -- price books -----------------------------------------------------------------------------


def price_book_list(*, actor: User, action: str = Action.READ) -> QuerySet[PriceBook]:
    return access.restrict(PriceBook.objects.all(), actor, action).order_by("name", "id")


def price_book_get(*, actor: User, pk: Any, action: str = Action.READ) -> PriceBook:
    return _one(price_book_list(actor=actor, action=action), pk, "price book")


def price_book_entries(*, actor: User, price_book: PriceBook) -> QuerySet[PriceBookEntry]:
    """Entries of a book (the caller fetched it through `price_book_get`), by product name."""
    products = access.restrict(Product.objects.all(), actor)
    return (
        price_book.entries.filter(product__in=products)
        .select_related("product")
        .order_by("product__name", "product_id")
    )


# -- quotes ----------------------------------------------------------------------------------


def _quote_lines(*, with_product: bool = False) -> Prefetch:
    lines = QuoteLine.objects.order_by("position", "id")
    return Prefetch("lines", queryset=lines.select_related("product") if with_product else lines)


def quote_list(
    *,
    actor: User,
    filters: QuoteFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Quote]:
    queryset = access.restrict(Quote.objects.all(), actor, action)
    queryset = _filtered(queryset, Quote.record_type, filters, custom)
    return _with_tags(
        queryset.select_related("owner", "team", "opportunity", "order").prefetch_related(
            _quote_lines()
        )
    )


def quote_get(*, actor: User, pk: Any, action: str = Action.READ) -> Quote:
    queryset = access.restrict(Quote.objects.all(), actor, action).select_related(
        "owner",
        "team",
        "created_by",
        "updated_by",
        "opportunity__account",
        "opportunity__contact",
        "order",
    )
    return _one(_with_tags(queryset.prefetch_related(_quote_lines(with_product=True))), pk, "quote")


def quotes_for(*, actor: User, opportunity: Opportunity) -> QuerySet[Quote]:
    """The quotes of one opportunity the actor may read, newest first (the opportunity page's
    quotes panel)."""
    queryset = access.restrict(Quote.objects.all(), actor)
    return queryset.filter(opportunity=opportunity).order_by("-created_at", "-id")


def quote_opportunity(*, actor: User, pk: Any) -> Opportunity | None:
    """The opportunity a quote is for, if the actor may read it (else None)."""
    if not str(pk).isdigit():
        return None
    queryset = access.restrict(Opportunity.objects.all(), actor)
    return queryset.select_related("account", "contact").filter(pk=pk).first()


# -- orders ----------------------------------------------------------------------------------


def _order_lines(*, with_product: bool = False) -> Prefetch:
    lines = OrderLine.objects.order_by("position", "id")
    return Prefetch("lines", queryset=lines.select_related("product") if with_product else lines)


def order_list(
    *,
    actor: User,
    filters: OrderFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Order]:
    queryset = access.restrict(Order.objects.all(), actor, action)
    queryset = _filtered(queryset, Order.record_type, filters, custom)
    return _with_tags(
        queryset.select_related(
            "owner", "team", "account", "contact", "opportunity", "quote"
        ).prefetch_related(_order_lines())
    )


def order_get(*, actor: User, pk: Any, action: str = Action.READ) -> Order:
    queryset = access.restrict(Order.objects.all(), actor, action).select_related(
        "owner", "team", "created_by", "updated_by", "account", "contact", "opportunity", "quote"
    )
    return _one(_with_tags(queryset.prefetch_related(_order_lines(with_product=True))), pk, "order")


def orders_for(
    *, actor: User, account: Account | None = None, contact: Contact | None = None
) -> QuerySet[Order]:
    """The purchase history of an account or a contact: the orders the actor may read, newest
    first. Without an account or a contact, no orders at all (never everything)."""
    if account is None and contact is None:
        return Order.objects.none()
    queryset = access.restrict(Order.objects.all(), actor)
    if account is not None:
        queryset = queryset.filter(account=account)
    if contact is not None:
        queryset = queryset.filter(contact=contact)
    return queryset.order_by("-ordered_at", "-id")
