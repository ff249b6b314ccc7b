"""REST endpoints for price books and their entries (reading: everyone; changing: admins)."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses
from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.schemas import (
    PriceBookCreateIn,
    PriceBookEntryIn,
    PriceBookEntryOut,
    PriceBookOut,
    PriceBookPatchIn,
    entry_out,
)
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate

price_books_router = Router(tags=["price books"])

PriceBookPage = cursor_page(PriceBookOut)
PriceBookEntryPage = cursor_page(PriceBookEntryOut)
PRICE_BOOK_ORDERINGS = orderings_with_reverse({"name": ("name", "id")})
ENTRY_ORDERINGS = orderings_with_reverse({"id": ("id",)})
ProductId = Path(..., ge=1, le=MAX_ID, description="The product's id.")
PriceBookOrdering = Literal[tuple(PRICE_BOOK_ORDERINGS)]


@price_books_router.get(
    "",
    response={200: PriceBookPage, **error_responses(422)},
    operation_id="list_price_books",
    summary="List price books",
)
def list_price_books(
    request: HttpRequest, page: Query[PageParams], ordering: PriceBookOrdering | None = None
) -> dict[str, Any]:
    result = paginate(
        selectors.price_book_list(actor=request.auth),
        orderings=PRICE_BOOK_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@price_books_router.get(
    "/{id}",
    response={200: PriceBookOut, **error_responses(404, 422)},
    operation_id="get_price_book",
    summary="Get one price book",
)
def get_price_book(request: HttpRequest, id: int = RecordId) -> Any:
    return selectors.price_book_get(actor=request.auth, pk=id)


@price_books_router.post(
    "",
    response={201: PriceBookOut, **error_responses(403, 409, 422)},
    operation_id="create_price_book",
    summary="Create a price book",
    description="Prices of products in one currency, for some countries (empty: all) and one "
    "segment (empty: all). The name is unique (409).",
)
def create_price_book(request: HttpRequest, payload: PriceBookCreateIn) -> Status:
    book = services.price_book_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, book)


@price_books_router.patch(
    "/{id}",
    response={200: PriceBookOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_price_book",
    summary="Update a price book",
)
def update_price_book(request: HttpRequest, payload: PriceBookPatchIn, id: int = RecordId) -> Any:
    book = selectors.price_book_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.price_book_update(
        actor=request.auth, price_book=book, data=data, version=version
    )


@price_books_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_price_book",
    summary="Delete a price book and its entries",
)
def delete_price_book(request: HttpRequest, id: int = RecordId) -> Status:
    book = selectors.price_book_get(actor=request.auth, pk=id)
    services.price_book_delete(actor=request.auth, price_book=book)
    return Status(204, None)


@price_books_router.get(
    "/{id}/entries",
    response={200: PriceBookEntryPage, **error_responses(404, 422)},
    operation_id="list_price_book_entries",
    summary="Prices in one price book",
)
def list_price_book_entries(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    book = selectors.price_book_get(actor=request.auth, pk=id)
    result = paginate(
        selectors.price_book_entries(actor=request.auth, price_book=book),
        orderings=ENTRY_ORDERINGS,
        ordering="id",
        default_ordering="id",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [entry_out(e) for e in result.items], "next_cursor": result.next_cursor}


@price_books_router.put(
    "/{id}/entries/{product_id}",
    response={200: PriceBookEntryOut, **error_responses(403, 404, 409, 422)},
    operation_id="set_price_book_entry",
    summary="Set a product's price in a price book",
    description=(
        "Adds the product to the book or changes its price (in the book's currency); a change "
        "needs the entry's `version`."
    ),
)
def set_price_book_entry(
    request: HttpRequest,
    payload: PriceBookEntryIn,
    id: int = RecordId,
    product_id: int = ProductId,
) -> dict[str, Any]:
    book = selectors.price_book_get(actor=request.auth, pk=id)
    product = selectors.product_get(actor=request.auth, pk=product_id)
    entry = services.price_book_entry_set(
        actor=request.auth,
        price_book=book,
        product=product,
        unit_price=payload.unit_price,
        version=payload.version,
    )
    return entry_out(entry)


@price_books_router.delete(
    "/{id}/entries/{product_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_price_book_entry",
    summary="Remove a product from a price book",
)
def delete_price_book_entry(
    request: HttpRequest, id: int = RecordId, product_id: int = ProductId
) -> Status:
    book = selectors.price_book_get(actor=request.auth, pk=id)
    entry = (
        selectors.price_book_entries(actor=request.auth, price_book=book)
        .filter(product_id=product_id)
        .first()
    )
    if entry is None:
        raise NotFound("The product is not in this price book.")
    services.price_book_entry_delete(actor=request.auth, entry=entry)
    return Status(204, None)
