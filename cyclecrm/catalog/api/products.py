"""REST endpoints for products and their effective price: thin handlers over the catalog's
services and selectors."""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponseBase
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.api.lists import CSV_RESPONSE_DOC, PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.api.common import (
    EXPORT_DOC,
    LIST_DOC,
    PATCH_DOC,
    export_response,
    require_export,
    scoped_list,
    split,
)
from cyclecrm.catalog.filters import PRODUCT_SEARCH_FIELDS, ProductFilters
from cyclecrm.catalog.models import Product
from cyclecrm.catalog.pricing import amount_text
from cyclecrm.catalog.schemas import (
    PRODUCT_EXPORT_COLUMNS,
    PriceOut,
    ProductCreateIn,
    ProductOut,
    ProductPatchIn,
)
from cyclecrm.catalog.services.common import currency_code
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.export import ExportFormat
from cyclecrm.identity.models import Action

products_router = Router(tags=["products"])

ProductPage = cursor_page(ProductOut)
ProductOrdering = Literal[tuple(selectors.PRODUCT_ORDERINGS)]
FILTER_FIELDS = {"q": PRODUCT_SEARCH_FIELDS, "active": ("is_active",)}
DEFAULT_ORDERING = "name"


class PriceQuery(Schema):
    currency: str = Field(min_length=3, max_length=3, description="ISO-4217 code.")
    country: str | None = Field(None, max_length=2, description="The customer's ISO-3166 code.")
    segment: str | None = Field(None, max_length=100, description="The customer's segment.")


def _list(request: HttpRequest, filters: ProductFilters, ordering: str | None, action: str) -> Any:
    return scoped_list(
        request,
        record_type=Product.record_type,
        selector=selectors.product_list,
        filters=filters,
        aliases=FILTER_FIELDS,
        orderings=selectors.PRODUCT_ORDERINGS,
        ordering=ordering,
        action=action,
    )


@products_router.get(
    "",
    response={200: ProductPage, **error_responses(403, 422)},
    operation_id="list_products",
    summary="List products",
    description=LIST_DOC.format(plural="products", search="name, SKU and vendor")
    + " `active=true` keeps the products still sold.",
)
def list_products(
    request: HttpRequest,
    filters: Query[ProductFilters],
    page: Query[PageParams],
    ordering: ProductOrdering | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        _list(request, filters, ordering, Action.READ),
        ProductOut,
        page=page,
        orderings=selectors.PRODUCT_ORDERINGS,
        ordering=ordering,
        default_ordering=DEFAULT_ORDERING,
    )


@products_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_products",
    summary="Export products as CSV",
    description=EXPORT_DOC.format(plural="products"),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_products(
    request: HttpRequest,
    filters: Query[ProductFilters],
    ordering: ProductOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    require_export(request.auth, Product.record_type)
    return export_response(
        request,
        _list(request, filters, ordering, Action.EXPORT),
        record_type=Product.record_type,
        columns=PRODUCT_EXPORT_COLUMNS,
        ordering=selectors.PRODUCT_ORDERINGS[ordering or DEFAULT_ORDERING],
        basename="products",
        fmt=format,
    )


@products_router.get(
    "/{id}",
    response={200: ProductOut, **error_responses(404, 422)},
    operation_id="get_product",
    summary="Get one product",
)
def get_product(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(
        request.auth, selectors.product_get(actor=request.auth, pk=id), ProductOut
    )


@products_router.get(
    "/{id}/price",
    response={200: PriceOut, **error_responses(404, 422)},
    operation_id="get_product_price",
    summary="The product's price for a customer",
    description=(
        "The unit price a new quote line would get: the most specific active price book in the "
        "currency that applies to the country and segment, else the list price when it is in "
        "that currency, else 422 `no_price`."
    ),
)
def get_product_price(
    request: HttpRequest, query: Query[PriceQuery], id: int = RecordId
) -> dict[str, Any]:
    product = selectors.product_get(actor=request.auth, pk=id)
    try:
        currency = currency_code(query.currency)
    except ValueError as exc:
        raise ValidationFailed(fields={"currency": [str(exc)]}) from exc
    country = (query.country or "").upper() or None
    price = services.price_for(product, currency=currency, country=country, segment=query.segment)
    return {
        "product": product.pk,
        "currency": currency,
        "country": country,
        "segment": query.segment,
        "unit_price": amount_text(price, currency),
    }


@products_router.post(
    "",
    response={201: ProductOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_product",
    summary="Create a product",
    description="The SKU is unique: a duplicate is a 409 naming `sku`. Administrators only by "
    "default.",
)
def create_product(request: HttpRequest, payload: ProductCreateIn) -> Status:
    data, tags, custom = split(payload.model_dump(exclude_unset=True))
    product = services.product_create(actor=request.auth, data=data, tags=tags, custom=custom)
    return Status(201, visible_record(request.auth, product, ProductOut))


@products_router.patch(
    "/{id}",
    response={200: ProductOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_product",
    summary="Update a product",
    description=PATCH_DOC.format(noun="product"),
)
def update_product(request: HttpRequest, payload: ProductPatchIn, id: int = RecordId) -> dict:
    product = selectors.product_get(actor=request.auth, pk=id)
    data, tags, custom = split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    product = services.product_update(
        actor=request.auth, product=product, data=data, version=version, tags=tags, custom=custom
    )
    return visible_record(request.auth, product, ProductOut)


@products_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_product",
    summary="Delete a product",
    description="Quote and order lines keep their description and amounts. To stop selling a "
    "product but keep it, set `is_active` to false instead.",
)
def delete_product(request: HttpRequest, id: int = RecordId) -> Status:
    product = selectors.product_get(actor=request.auth, pk=id)
    services.product_delete(actor=request.auth, product=product)
    return Status(204, None)


add_record_routes(products_router, noun="product", get_record=selectors.product_get)
