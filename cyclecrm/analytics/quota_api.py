"""/api/v1/quotas: the sales targets forecast_vs_quota compares against.
Thin handlers over analytics.services and analytics.selectors."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.analytics.quota_schemas import QuotaCreateIn, QuotaOut, QuotaPatchIn
from cyclecrm.analytics.selectors import quotas as quota_selectors
from cyclecrm.analytics.services import quotas as quota_services
from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.pagination import orderings_with_reverse

quotas_router = Router(tags=["quotas"])

QuotaPage = cursor_page(QuotaOut)
QUOTA_ORDERINGS = orderings_with_reverse({"id": ("id",), "period_start": ("period_start", "id")})
QuotaOrdering = Literal[tuple(QUOTA_ORDERINGS)]


class QuotaFilters(Schema):
    user_id: int | None = Field(None, ge=1, le=MAX_ID)
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    period_from: dt.date | None = Field(None, description="Quotas ending on or after this day.")
    period_to: dt.date | None = Field(None, description="Quotas starting on or before this day.")


@quotas_router.get(
    "",
    response={200: QuotaPage, **error_responses(422)},
    operation_id="list_quotas",
    summary="List quotas",
    description="Quotas you may read (a rep: their own), newest period first by default.",
)
def list_quotas(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[QuotaFilters],
    ordering: QuotaOrdering | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        quota_selectors.quota_list(actor=request.auth, **filters.model_dump()),
        QuotaOut,
        page=page,
        orderings=QUOTA_ORDERINGS,
        ordering=ordering,
        default_ordering="-period_start",
    )


@quotas_router.post(
    "",
    response={201: QuotaOut, **error_responses(403, 409, 422)},
    operation_id="create_quota",
    summary="Create a quota",
    description="409 `quota_overlap` when the user or team already has a quota on one of the days.",
)
def create_quota(request: HttpRequest, payload: QuotaCreateIn) -> Status:
    quota = quota_services.quota_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, visible_record(request.auth, quota, QuotaOut))


@quotas_router.get(
    "/{id}",
    response={200: QuotaOut, **error_responses(404, 422)},
    operation_id="get_quota",
    summary="Get one quota",
)
def get_quota(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    quota = quota_selectors.quota_get(actor=request.auth, pk=id)
    return visible_record(request.auth, quota, QuotaOut)


@quotas_router.patch(
    "/{id}",
    response={200: QuotaOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_quota",
    summary="Update a quota",
)
def update_quota(request: HttpRequest, payload: QuotaPatchIn, id: int = RecordId) -> dict:
    quota = quota_selectors.quota_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    quota = quota_services.quota_update(actor=request.auth, quota=quota, data=data, version=version)
    return visible_record(request.auth, quota, QuotaOut)


@quotas_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_quota",
    summary="Delete a quota",
)
def delete_quota(request: HttpRequest, id: int = RecordId) -> Status:
    quota = quota_selectors.quota_get(actor=request.auth, pk=id)
    quota_services.quota_delete(actor=request.auth, quota=quota)
    return Status(204, None)
