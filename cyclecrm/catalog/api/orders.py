"""REST endpoints for orders: the purchase history, written by quotes, the UI and imports."""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponseBase
from ninja import Query, Router, Status

from cyclecrm.api.lists import CSV_RESPONSE_DOC, PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.api.common import (
    EXPORT_DOC,
    LIST_DOC,
    export_response,
    require_export,
    scoped_list,
    split,
)
from cyclecrm.catalog.filters import ORDER_SEARCH_FIELDS, OrderFilters
from cyclecrm.catalog.models import Order
from cyclecrm.catalog.schemas import (
    ORDER_EXPORT_COLUMNS,
    OrderCreateIn,
    OrderOut,
    OrderPatchIn,
    OrderStatusIn,
)
from cyclecrm.core.export import ExportFormat
from cyclecrm.identity.models import Action

orders_router = Router(tags=["orders"])

OrderPage = cursor_page(OrderOut)
OrderOrdering = Literal[tuple(selectors.ORDER_ORDERINGS)]
FILTER_FIELDS = {
    "q": ORDER_SEARCH_FIELDS,
    "product": ("lines",),
    "ordered_after": ("ordered_at",),
    "ordered_before": ("ordered_at",),
    "total_min": ("total",),
    "total_max": ("total",),
}
DEFAULT_ORDERING = "-ordered_at"


def _list(request: HttpRequest, filters: OrderFilters, ordering: str | None, action: str) -> Any:
    return scoped_list(
        request,
        record_type=Order.record_type,
        selector=selectors.order_list,
        filters=filters,
        aliases=FILTER_FIELDS,
        orderings=selectors.ORDER_ORDERINGS,
        ordering=ordering,
        action=action,
    )


def _out(request: HttpRequest, order: Order) -> dict[str, Any]:
    return visible_record(
        request.auth, selectors.order_get(actor=request.auth, pk=order.pk), OrderOut
    )


@orders_router.get(
    "",
    response={200: OrderPage, **error_responses(403, 422)},
    operation_id="list_orders",
    summary="List orders",
    description=LIST_DOC.format(plural="orders", search="the number and the account name")
    + " Date (`ordered_after`, `ordered_before`) and total (`total_min`, `total_max`) ranges "
    "include their lower bound; `product` keeps orders with a line of that product.",
)
def list_orders(
    request: HttpRequest,
    filters: Query[OrderFilters],
    page: Query[PageParams],
    ordering: OrderOrdering | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        _list(request, filters, ordering, Action.READ),
        OrderOut,
        page=page,
        orderings=selectors.ORDER_ORDERINGS,
        ordering=ordering,
        default_ordering=DEFAULT_ORDERING,
    )


@orders_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_orders",
    summary="Export orders as CSV",
    description=EXPORT_DOC.format(plural="orders"),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_orders(
    request: HttpRequest,
    filters: Query[OrderFilters],
    ordering: OrderOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    require_export(request.auth, Order.record_type)
    return export_response(
        request,
        _list(request, filters, ordering, Action.EXPORT),
        record_type=Order.record_type,
        columns=ORDER_EXPORT_COLUMNS,
        ordering=selectors.ORDER_ORDERINGS[ordering or DEFAULT_ORDERING],
        basename="orders",
        fmt=format,
    )


@orders_router.get(
    "/{id}",
    response={200: OrderOut, **error_responses(404, 422)},
    operation_id="get_order",
    summary="Get one order with its lines",
)
def get_order(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.order_get(actor=request.auth, pk=id), OrderOut)


@orders_router.post(
    "",
    response={201: OrderOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_order",
    summary="Create an order",
    description=(
        "Lines are priced like quote lines (same defaults, same rounding rule). For imports: "
        "`ordered_at` may lie in the past, `status` may be any status, `number` and "
        "`external_id` keep the source system's identifiers (each unique: 409). Linked account, "
        "contact and opportunity must be readable by you (else 422 naming them)."
    ),
)
def create_order(request: HttpRequest, payload: OrderCreateIn) -> Status:
    data, tags, custom = split(payload.model_dump(exclude_unset=True))
    order = services.order_create(actor=request.auth, data=data, tags=tags, custom=custom)
    return Status(201, _out(request, order))


@orders_router.patch(
    "/{id}",
    response={200: OrderOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_order",
    summary="Update an order",
    description=(
        "Links, date, ownership, tags and custom fields change any time; `lines` (replacing "
        "them all) and `currency` only while the order is pending (else 409 "
        "`order_not_pending`). Status changes go through `POST /orders/{id}/status`."
    ),
)
def update_order(request: HttpRequest, payload: OrderPatchIn, id: int = RecordId) -> dict:
    order = selectors.order_get(actor=request.auth, pk=id)
    data, tags, custom = split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    services.order_update(
        actor=request.auth, order=order, data=data, version=version, tags=tags, custom=custom
    )
    return _out(request, order)


@orders_router.post(
    "/{id}/status",
    response={200: OrderOut, **error_responses(403, 404, 409, 422)},
    operation_id="set_order_status",
    summary="Move an order to another status",
    description=(
        "pending → paid → fulfilled; pending → cancelled; paid or fulfilled → refunded. Any "
        "other move is a 409 `order_status`."
    ),
)
def set_order_status(request: HttpRequest, payload: OrderStatusIn, id: int = RecordId) -> dict:
    order = selectors.order_get(actor=request.auth, pk=id)
    services.order_set_status(
        actor=request.auth, order=order, status=payload.status, version=payload.version
    )
    return _out(request, order)


@orders_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 409, 422)},
    operation_id="delete_order",
    summary="Delete a pending or cancelled order",
)
def delete_order(request: HttpRequest, id: int = RecordId) -> Status:
    order = selectors.order_get(actor=request.auth, pk=id)
    services.order_delete(actor=request.auth, order=order)
    return Status(204, None)


add_record_routes(orders_router, noun="order", get_record=selectors.order_get)
