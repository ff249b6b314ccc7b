"""REST endpoints for campaigns: CRUD, cost entries, members, touches, UTM links (saved and a
builder) and the attribution figures. Thin handlers over campaigns.services and selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams, check_filter_ids, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses, visible_record
from cyclecrm.campaigns import selectors, services
from cyclecrm.campaigns.attribution import MODELS
from cyclecrm.campaigns.filters import CampaignFilters
from cyclecrm.campaigns.schemas import (
    CampaignAttributionOut,
    CampaignCostIn,
    CampaignCostOut,
    CampaignCreateIn,
    CampaignMemberIdsIn,
    CampaignMemberOut,
    CampaignMembersAddIn,
    CampaignMembersChangedOut,
    CampaignMemberStatusIn,
    CampaignOut,
    CampaignPatchIn,
    CampaignTouchIn,
    CampaignTouchOut,
    CampaignUtmBuildIn,
    CampaignUtmBuiltOut,
    CampaignUtmIn,
    CampaignUtmLinkOut,
    MemberStatusValue,
)
from cyclecrm.core.pagination import paginate

campaigns_router = Router(tags=["campaigns"])

CampaignPage = cursor_page(CampaignOut)
CostPage = cursor_page(CampaignCostOut)
MemberPage = cursor_page(CampaignMemberOut)
TouchPage = cursor_page(CampaignTouchOut)
UtmLinkPage = cursor_page(CampaignUtmLinkOut)
CampaignOrdering = Literal[tuple(selectors.CAMPAIGN_ORDERINGS)]
SubId = Path(..., ge=1, le=MAX_ID)
LIST_DOC = (
    "Campaigns you may read. `type` and `status` take one value or several, comma-separated; "
    "`q` searches name and code. Keyset pages: pass `next_cursor` back as `cursor`."
)


def _page(queryset: Any, page: PageParams, orderings: dict, default: str) -> dict[str, Any]:
    result = paginate(
        queryset,
        orderings=orderings,
        ordering=None,
        default_ordering=default,
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


def _campaign(request: HttpRequest, pk: int) -> Any:
    return selectors.campaign_get(actor=request.auth, pk=pk)


@campaigns_router.get(
    "",
    response={200: CampaignPage, **error_responses(403, 422)},
    operation_id="list_campaigns",
    summary="List campaigns",
    description=LIST_DOC,
)
def list_campaigns(
    request: HttpRequest,
    filters: Query[CampaignFilters],
    page: Query[PageParams],
    ordering: CampaignOrdering | None = None,
) -> dict[str, Any]:
    check_filter_ids(filters)
    return page_body(
        request.auth,
        selectors.campaign_list(actor=request.auth, filters=filters),
        CampaignOut,
        page=page,
        orderings=selectors.CAMPAIGN_ORDERINGS,
        ordering=ordering,
        default_ordering=selectors.CAMPAIGN_DEFAULT_ORDERING,
    )


def _data(payload: Any) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    for name in ("tags", "custom", "external_id"):
        data.pop(name, None)
    return data


@campaigns_router.post(
    "",
    response={201: CampaignOut, **error_responses(403, 422)},
    operation_id="create_campaign",
    summary="Create a campaign",
    description="`name` and `type` are required; `code` (the utm_campaign value) defaults to "
    "the name as a slug and must be unique (422 `code`).",
)
def create_campaign(request: HttpRequest, payload: CampaignCreateIn) -> Status:
    campaign = services.campaign_create(actor=request.auth, data=_data(payload))
    return Status(201, visible_record(request.auth, campaign, CampaignOut))


@campaigns_router.post(
    "/utm-builder",
    response={200: CampaignUtmBuiltOut, **error_responses(403, 404, 422)},
    operation_id="build_utm_link",
    summary="Build a UTM link without saving it",
    description="Keeps the URL's query parameters and fragment; replaces `utm_*` ones given.",
)
def build_utm_link(request: HttpRequest, payload: CampaignUtmBuildIn) -> dict[str, str]:
    data = payload.model_dump()
    campaign_id = data.pop("campaign_id")
    campaign = _campaign(request, campaign_id) if campaign_id else None
    return {"url": services.utm_build(campaign=campaign, **data).url}


@campaigns_router.get(
    "/{id}",
    response={200: CampaignOut, **error_responses(404, 422)},
    operation_id="get_campaign",
    summary="Get one campaign",
)
def get_campaign(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, _campaign(request, id), CampaignOut)


@campaigns_router.patch(
    "/{id}",
    response={200: CampaignOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_campaign",
    summary="Update a campaign",
)
def update_campaign(request: HttpRequest, payload: CampaignPatchIn, id: int = RecordId) -> dict:
    data = _data(payload)
    version = data.pop("version")
    campaign = services.campaign_update(
        actor=request.auth, campaign=_campaign(request, id), data=data, version=version
    )
    return visible_record(request.auth, campaign, CampaignOut)


@campaigns_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_campaign",
    summary="Delete a campaign",
    description="Its costs, members, links and touches go with it; leads and deals it sourced "
    "stay, without a source campaign.",
)
def delete_campaign(request: HttpRequest, id: int = RecordId) -> Status:
    services.campaign_delete(actor=request.auth, campaign=_campaign(request, id))
    return Status(204, None)


@campaigns_router.get(
    "/{id}/attribution",
    response={200: CampaignAttributionOut, **error_responses(404, 422)},
    operation_id="get_campaign_attribution",
    summary="Campaign results: cost, members, sourced leads, attributed revenue and ROI",
    description="Won revenue credited first-touch, last-touch and linear, each with its ROI; "
    "see docs/campaigns.md for the definitions.",
)
def get_campaign_attribution(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    figures = selectors.campaign_figures(campaign=_campaign(request, id)).as_dict()
    revenue, roi = figures.pop("revenue"), figures.pop("roi")
    return figures | {name: {"revenue": revenue[name], "roi": roi[name]} for name in MODELS}


# -- costs ---------------------------------------------------------------------------------------


@campaigns_router.get(
    "/{id}/costs",
    response={200: CostPage, **error_responses(404, 422)},
    operation_id="list_campaign_costs",
    summary="List a campaign's cost entries",
)
def list_campaign_costs(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    costs = selectors.campaign_costs(campaign=_campaign(request, id))
    return _page(costs, page, selectors.COST_ORDERINGS, "-date")


@campaigns_router.post(
    "/{id}/costs",
    response={201: CampaignCostOut, **error_responses(403, 404, 422)},
    operation_id="add_campaign_cost",
    summary="Record an actual cost",
)
def add_campaign_cost(request: HttpRequest, payload: CampaignCostIn, id: int = RecordId) -> Status:
    cost = services.cost_add(
        actor=request.auth, campaign=_campaign(request, id), **payload.model_dump()
    )
    return Status(201, cost)


@campaigns_router.delete(
    "/{id}/costs/{cost_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_campaign_cost",
    summary="Delete a cost entry",
)
def delete_campaign_cost(request: HttpRequest, id: int = RecordId, cost_id: int = SubId) -> Status:
    services.cost_delete(actor=request.auth, campaign=_campaign(request, id), cost_id=cost_id)
    return Status(204, None)


# -- members -------------------------------------------------------------------------------------


@campaigns_router.get(
    "/{id}/members",
    response={200: MemberPage, **error_responses(404, 422)},
    operation_id="list_campaign_members",
    summary="List a campaign's members",
    description="Members whose contact or lead you may read; `status` narrows the list.",
)
def list_campaign_members(
    request: HttpRequest,
    page: Query[PageParams],
    status: MemberStatusValue | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    members = selectors.campaign_members(
        actor=request.auth, campaign=_campaign(request, id), status=status
    )
    return _page(members, page, selectors.MEMBER_ORDERINGS, "id")


@campaigns_router.post(
    "/{id}/members",
    response={200: CampaignMembersChangedOut, **error_responses(403, 404, 422)},
    operation_id="add_campaign_members",
    summary="Add contacts, leads or a segment's contacts",
    description="All or nothing: an id you may not see refuses the batch (422 naming the "
    "field). People already members are left as they are; `changed` counts the new ones.",
)
def add_campaign_members(
    request: HttpRequest, payload: CampaignMembersAddIn, id: int = RecordId
) -> dict:
    changed = services.members_add(
        actor=request.auth, campaign=_campaign(request, id), **payload.model_dump()
    )
    return {"changed": changed}


@campaigns_router.delete(
    "/{id}/members",
    response={200: CampaignMembersChangedOut, **error_responses(403, 404, 422)},
    operation_id="remove_campaign_members",
    summary="Remove members",
)
def remove_campaign_members(
    request: HttpRequest, payload: CampaignMemberIdsIn, id: int = RecordId
) -> dict:
    changed = services.members_remove(
        actor=request.auth, campaign=_campaign(request, id), member_ids=payload.member_ids
    )
    return {"changed": changed}


@campaigns_router.post(
    "/{id}/members/status",
    response={200: CampaignMembersChangedOut, **error_responses(403, 404, 422)},
    operation_id="set_campaign_member_status",
    summary="Set members' status (sent, responded, converted)",
)
def set_campaign_member_status(
    request: HttpRequest, payload: CampaignMemberStatusIn, id: int = RecordId
) -> dict:
    changed = services.member_status_set(
        actor=request.auth,
        campaign=_campaign(request, id),
        member_ids=payload.member_ids,
        status=payload.status,
    )
    return {"changed": changed}


# -- touches -------------------------------------------------------------------------------------


@campaigns_router.get(
    "/{id}/touches",
    response={200: TouchPage, **error_responses(404, 422)},
    operation_id="list_campaign_touches",
    summary="List a campaign's touches",
)
def list_campaign_touches(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    touches = selectors.campaign_touches(actor=request.auth, campaign=_campaign(request, id))
    return _page(touches, page, selectors.TOUCH_ORDERINGS, "-touched_at")


@campaigns_router.post(
    "/{id}/touches",
    response={201: CampaignTouchOut, **error_responses(403, 404, 422)},
    operation_id="record_campaign_touch",
    summary="Record a touch",
    description="Idempotent per campaign, lead/contact/opportunity, channel and day: a repeat "
    "returns the touch already recorded that day.",
)
def record_campaign_touch(
    request: HttpRequest, payload: CampaignTouchIn, id: int = RecordId
) -> Status:
    campaign = _campaign(request, id)
    subjects = selectors.touch_subjects(
        actor=request.auth,
        lead_id=payload.lead_id,
        contact_id=payload.contact_id,
        opportunity_id=payload.opportunity_id,
    )
    touch = services.record_touch(
        actor=request.auth, campaign=campaign, channel=payload.channel, at=payload.at, **subjects
    )
    return Status(201, touch)


# -- UTM links -----------------------------------------------------------------------------------


@campaigns_router.get(
    "/{id}/utm-links",
    response={200: UtmLinkPage, **error_responses(404, 422)},
    operation_id="list_campaign_utm_links",
    summary="List a campaign's saved UTM links",
)
def list_campaign_utm_links(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    links = selectors.utm_links(campaign=_campaign(request, id))
    return _page(links, page, selectors.ID_ORDERINGS, "-id")


@campaigns_router.post(
    "/{id}/utm-links",
    response={201: CampaignUtmLinkOut, **error_responses(403, 404, 422)},
    operation_id="create_campaign_utm_link",
    summary="Build and save a UTM link",
)
def create_campaign_utm_link(
    request: HttpRequest, payload: CampaignUtmIn, id: int = RecordId
) -> Status:
    link = services.utm_link_create(
        actor=request.auth, campaign=_campaign(request, id), **payload.model_dump()
    )
    return Status(201, link)


@campaigns_router.delete(
    "/{id}/utm-links/{link_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_campaign_utm_link",
    summary="Delete a saved UTM link",
)
def delete_campaign_utm_link(
    request: HttpRequest, id: int = RecordId, link_id: int = SubId
) -> Status:
    services.utm_link_delete(actor=request.auth, campaign=_campaign(request, id), link_id=link_id)
    return Status(204, None)


add_record_routes(
    campaigns_router,
    noun="campaign",
    get_record=lambda *, actor, pk: selectors.campaign_get(actor=actor, pk=pk),
)
