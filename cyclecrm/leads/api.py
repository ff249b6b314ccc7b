"""REST endpoints for leads (CRUD, status, conversion), scoring rules, grades and assignment rules:
thin handlers over leads.services and leads.selectors. A lead the caller may not read is a 404
everywhere, lists and exports included."""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from ninja import Query, Router, Status

from cyclecrm.activities.interaction_api import add_timeline_route
from cyclecrm.api.lists import (
    CSV_RESPONSE_DOC,
    CUSTOM_FILTER_DOC,
    PageParams,
    check_filter_ids,
    custom_params,
    filter_fields,
    ordering_fields,
    page_body,
    refuse_hidden_filters,
)
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.export import ExportFormat, export_columns, export_response, require_export
from cyclecrm.core.pagination import paginate
from cyclecrm.dataquality.duplicates.flagging import FORCE_VALUES
from cyclecrm.identity.models import Action
from cyclecrm.leads import selectors, services
from cyclecrm.leads.filters import LEAD_SEARCH_FIELDS, LeadFilters
from cyclecrm.leads.models import Lead
from cyclecrm.leads.rules_api import (
    assignment_rules_router,
    grades_router,
    scoring_rules_router,
)
from cyclecrm.leads.schemas import (
    LEAD_EXPORT_COLUMNS,
    ConvertIn,
    ConvertOut,
    LeadCreateIn,
    LeadOut,
    LeadPatchIn,
    StatusChangeOut,
    StatusIn,
)

leads_router = Router(tags=["leads"])

LeadPage = cursor_page(LeadOut)
StatusChangePage = cursor_page(StatusChangeOut)
LeadOrdering = Literal[tuple(selectors.LEAD_ORDERINGS)]
DEFAULT_ORDERING = "-created_at"

LEAD_FILTER_FIELDS = {
    "tag": ("tags",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
    "q": LEAD_SEARCH_FIELDS,
    "score_min": ("score",),
    "score_max": ("score",),
    "converted": ("converted_at",),
}

__all__ = ["assignment_rules_router", "grades_router", "leads_router", "scoring_rules_router"]


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    return data, data.pop("tags", None), data.pop("custom", None)


def _check(request: HttpRequest, data: dict[str, Any]) -> bool:
    """Whether to run the likely-duplicate check: not when `force` is in the body or query."""
    forced = data.pop("force", False) or request.GET.get("force", "").lower() in FORCE_VALUES
    return not forced


def _lead_list(
    request: HttpRequest, filters: LeadFilters, ordering: str | None, action: str
) -> QuerySet[Lead]:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=LEAD_FILTER_FIELDS)
    used |= ordering_fields(selectors.LEAD_ORDERINGS, ordering)
    refuse_hidden_filters(actor, Lead.record_type, used, custom)
    return selectors.lead_list(actor=actor, filters=filters, custom=custom, action=action)


@leads_router.get(
    "",
    response={200: LeadPage, **error_responses(403, 422)},
    operation_id="list_leads",
    summary="List leads",
    description=(
        "Only leads you may read. `q` searches names, company and e-mail; `status`, `source`, "
        "`country`, `grade`, `score_min` / `score_max`, `converted`, owner, team and tag narrow "
        "the list; `ordering=-score` puts the hottest first. Pages are keyset-based: pass "
        "`next_cursor` back as `cursor` with the same `ordering`. " + CUSTOM_FILTER_DOC
    ),
)
def list_leads(
    request: HttpRequest,
    filters: Query[LeadFilters],
    page: Query[PageParams],
    ordering: LeadOrdering | None = None,
) -> dict[str, Any]:
    queryset = _lead_list(request, filters, ordering, Action.READ)
    return page_body(
        request.auth,
        queryset,
        LeadOut,
        page=page,
        orderings=selectors.LEAD_ORDERINGS,
        ordering=ordering,
        default_ordering=DEFAULT_ORDERING,
    )


@leads_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_leads",
    summary="Export leads as CSV",
    description="The leads matching the filters as CSV (streamed). Needs the export right.",
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_leads(
    request: HttpRequest,
    filters: Query[LeadFilters],
    ordering: LeadOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    actor = request.auth
    require_export(actor, Lead.record_type)
    queryset = _lead_list(request, filters, ordering, Action.EXPORT)
    spec = selectors.LEAD_ORDERINGS[ordering or DEFAULT_ORDERING]
    columns = export_columns(actor, Lead.record_type, LEAD_EXPORT_COLUMNS)
    return export_response(queryset.order_by(*spec.order_by()), columns, "leads", format)


@leads_router.get(
    "/{id}",
    response={200: LeadOut, **error_responses(404, 422)},
    operation_id="get_lead",
    summary="Get one lead",
    description="`score_breakdown` explains the score: each active rule with the points it gave.",
)
def get_lead(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    lead = selectors.lead_get(actor=request.auth, pk=id)
    return visible_record(request.auth, lead, LeadOut)


@leads_router.post(
    "",
    response={201: LeadOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_lead",
    summary="Create a lead",
    description=(
        "E-mail, phone, country and website are normalized. Without `owner_id` the first "
        "matching assignment rule picks the owner. The score and grade are computed."
    ),
)
def create_lead(request: HttpRequest, payload: LeadCreateIn) -> Status:
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    lead = services.lead_create(
        actor=request.auth,
        data=data,
        tags=tags,
        custom=custom,
        check_duplicates=_check(request, data),
    )
    return Status(201, visible_record(request.auth, lead, LeadOut))


@leads_router.patch(
    "/{id}",
    response={200: LeadOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_lead",
    summary="Update a lead",
    description=(
        "Partial update with the `version` you read (stale: 409). A converted lead is read-only "
        "(409 `lead_converted`, `fields.converted_to` names what it became)."
    ),
)
def update_lead(request: HttpRequest, payload: LeadPatchIn, id: int = RecordId) -> dict:
    lead = selectors.lead_get(actor=request.auth, pk=id)
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    services.lead_update(
        actor=request.auth,
        lead=lead,
        data=data,
        version=version,
        tags=tags,
        custom=custom,
        check_duplicates=_check(request, data),
    )
    return visible_record(request.auth, lead, LeadOut)


@leads_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 409, 422)},
    operation_id="delete_lead",
    summary="Delete a lead",
    description="A converted lead cannot be deleted (409 `lead_converted`).",
)
def delete_lead(request: HttpRequest, id: int = RecordId) -> Status:
    lead = selectors.lead_get(actor=request.auth, pk=id)
    services.lead_delete(actor=request.auth, lead=lead)
    return Status(204, None)


@leads_router.post(
    "/{id}/status",
    response={200: LeadOut, **error_responses(403, 404, 409, 422)},
    operation_id="change_lead_status",
    summary="Change a lead's status",
    description=(
        "Allowed: open → contacted / qualified / unqualified; contacted → qualified / "
        "unqualified; qualified → contacted / unqualified; unqualified → open. `unqualified` "
        "needs a `reason`. Another target is a 422 naming `status` with the allowed ones."
    ),
)
def change_lead_status(request: HttpRequest, payload: StatusIn, id: int = RecordId) -> dict:
    lead = selectors.lead_get(actor=request.auth, pk=id)
    services.lead_change_status(
        actor=request.auth,
        lead=lead,
        status=payload.status,
        reason=payload.reason,
        version=payload.version,
    )
    return visible_record(request.auth, lead, LeadOut)


@leads_router.get(
    "/{id}/status-changes",
    response={200: StatusChangePage, **error_responses(404, 422)},
    operation_id="list_lead_status_changes",
    summary="Status history of one lead",
    description="Every status change, newest first: from, to, reason, who and when.",
)
def list_lead_status_changes(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    lead = selectors.lead_get(actor=request.auth, pk=id)
    result = paginate(
        selectors.lead_status_changes(actor=request.auth, lead=lead),
        orderings=selectors.STATUS_CHANGE_ORDERINGS,
        ordering="-at",
        default_ordering="-at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@leads_router.post(
    "/{id}/convert",
    response={200: ConvertOut, **error_responses(403, 404, 409, 422)},
    operation_id="convert_lead",
    summary="Convert a qualified lead",
    description=(
        "In one transaction: the account (given, else the one with the lead's website domain, "
        "else with its company name, else new), the contact (given, else the one with its "
        "e-mail, else new) and, with `create_opportunity`, an opportunity. A lead that is not "
        "qualified is a 409 `lead_not_qualified`; a converted one 409 `lead_already_converted`."
    ),
)
def convert_lead(request: HttpRequest, payload: ConvertIn, id: int = RecordId) -> dict:
    lead = selectors.lead_get(actor=request.auth, pk=id)
    result = services.lead_convert(actor=request.auth, lead=lead, **payload.model_dump())
    return {
        "account": result.account.pk,
        "contact": result.contact.pk,
        "opportunity": result.opportunity.pk if result.opportunity else None,
    }


add_record_routes(leads_router, noun="lead", get_record=selectors.lead_get)
add_timeline_route(leads_router, noun="lead", get_record=selectors.lead_get)
