"""/api/v1/sales-costs: the sales costs the acquisition cost (CAC) counts."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.analytics import sales_cost_selectors as cost_selectors
from cyclecrm.analytics import sales_cost_services as cost_services
from cyclecrm.analytics.models import SalesCost
from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import MAX_ID, RecordId, Version, cursor_page, error_responses
from cyclecrm.core.pagination import orderings_with_reverse, paginate

sales_costs_router = Router(tags=["sales costs"])


# -- sales costs ------------------------------------------------------------------------------


class SalesCostOut(Schema):
    id: int
    version: int
    date: dt.date
    amount: str = Field(description="Base currency, decimal string.")
    category: str
    team_id: int | None
    note: str
    created_at: dt.datetime


class SalesCostIn(Schema):
    date: dt.date
    amount: str | int = Field(description="Base currency, decimal string, at least 0.")
    category: str = "other"
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    note: str = ""


class SalesCostPatchIn(Schema):
    date: dt.date | None = None
    amount: str | int | None = None
    category: str | None = None
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    note: str | None = None
    version: Version


class SalesCostFilters(Schema):
    date_from: dt.date | None = Field(None, description="Costs on or after this day.")
    date_to: dt.date | None = Field(None, description="Costs on or before this day.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this team's.")


SalesCostPage = cursor_page(SalesCostOut)
COST_ORDERINGS = orderings_with_reverse({"date": ("date", "id")})


def sales_cost_body(cost: SalesCost) -> dict[str, Any]:
    return {
        "id": cost.pk,
        "version": cost.version,
        "date": cost.date,
        "amount": format(Decimal(cost.amount).quantize(Decimal("0.01")), "f"),
        "category": cost.category,
        "team_id": cost.team_id,
        "note": cost.note,
        "created_at": cost.created_at,
    }


@sales_costs_router.get(
    "",
    response={200: SalesCostPage, **error_responses(422)},
    operation_id="list_sales_costs",
    summary="List sales costs",
    description="Newest first. Administrators and managers; others get an empty list.",
)
def list_sales_costs(
    request: HttpRequest, filters: Query[SalesCostFilters], page: Query[PageParams]
) -> dict[str, Any]:
    queryset = cost_selectors.sales_cost_list(actor=request.auth, **filters.model_dump())
    result = paginate(
        queryset,
        orderings=COST_ORDERINGS,
        ordering="-date",
        default_ordering="-date",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [sales_cost_body(c) for c in result.items], "next_cursor": result.next_cursor}


@sales_costs_router.get(
    "/{id}",
    response={200: SalesCostOut, **error_responses(404, 422)},
    operation_id="get_sales_cost",
    summary="Get one sales cost",
)
def get_sales_cost(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return sales_cost_body(cost_selectors.sales_cost_get(actor=request.auth, pk=id))


@sales_costs_router.post(
    "",
    response={201: SalesCostOut, **error_responses(403, 422)},
    operation_id="create_sales_cost",
    summary="Add a sales cost",
    description="Administrators and managers. The amount is in the base currency.",
)
def create_sales_cost(request: HttpRequest, payload: SalesCostIn) -> Status:
    cost = cost_services.sales_cost_create(actor=request.auth, data=payload.model_dump())
    return Status(201, sales_cost_body(cost))


@sales_costs_router.patch(
    "/{id}",
    response={200: SalesCostOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_sales_cost",
    summary="Change a sales cost",
)
def update_sales_cost(
    request: HttpRequest, payload: SalesCostPatchIn, id: int = RecordId
) -> dict[str, Any]:
    cost = cost_selectors.sales_cost_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return sales_cost_body(
        cost_services.sales_cost_update(actor=request.auth, cost=cost, data=data, version=version)
    )


@sales_costs_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_sales_cost",
    summary="Delete a sales cost",
)
def delete_sales_cost(request: HttpRequest, id: int = RecordId) -> Status:
    cost = cost_selectors.sales_cost_get(actor=request.auth, pk=id)
    cost_services.sales_cost_delete(actor=request.auth, cost=cost)
    return Status(204, None)
