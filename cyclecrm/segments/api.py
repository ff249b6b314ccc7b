"""REST endpoints for segments: CRUD, members (keyset pages), counts, a rules preview, the field
catalog and static list membership. Thin handlers over segments.services and selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.segments import selectors, services
from cyclecrm.segments.rules import field_catalog
from cyclecrm.segments.schemas import (
    CountOut,
    FieldOut,
    MembersChangedOut,
    MembersIn,
    RulesIn,
    SegmentCreateIn,
    SegmentMemberOut,
    SegmentOut,
    SegmentPatchIn,
)

segments_router = Router(tags=["segments"])

SegmentPage = cursor_page(SegmentOut)
MemberPage = cursor_page(SegmentMemberOut)
SEGMENT_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
MEMBER_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("last_name", "id")})
SegmentOrdering = Literal[tuple(SEGMENT_ORDERINGS)]
MemberOrdering = Literal[tuple(MEMBER_ORDERINGS)]


@segments_router.get(
    "",
    response={200: SegmentPage, **error_responses(422)},
    operation_id="list_segments",
    summary="List segments",
)
def list_segments(
    request: HttpRequest, page: Query[PageParams], ordering: SegmentOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.segment_list(actor=request.auth),
        SegmentOut,
        page=page,
        orderings=SEGMENT_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@segments_router.post(
    "",
    response={201: SegmentOut, **error_responses(403, 422)},
    operation_id="create_segment",
    summary="Create a segment",
    description="A dynamic segment (rules) or a static list (members added separately).",
)
def create_segment(request: HttpRequest, payload: SegmentCreateIn) -> Status:
    segment = services.segment_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, visible_record(request.auth, segment, SegmentOut))


@segments_router.get(
    "/fields",
    response={200: list[FieldOut], **error_responses()},
    operation_id="list_segment_fields",
    summary="The fields rules may test",
    description="Each field with its type, the operators it allows and its choices.",
)
def list_segment_fields(request: HttpRequest) -> list[dict[str, Any]]:
    return [spec.as_dict() for spec in field_catalog()]


@segments_router.post(
    "/preview",
    response={200: CountOut, **error_responses(403, 422)},
    operation_id="preview_segment_rules",
    summary="Count the contacts rules match",
    description="Counts only contacts you may read; 422 names the bad rule path.",
)
def preview_segment_rules(request: HttpRequest, payload: RulesIn) -> dict[str, int]:
    return {"count": selectors.rules_preview(actor=request.auth, rules=payload.rules)}


@segments_router.get(
    "/{id}",
    response={200: SegmentOut, **error_responses(404, 422)},
    operation_id="get_segment",
    summary="Get one segment",
)
def get_segment(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    return visible_record(request.auth, segment, SegmentOut)


@segments_router.patch(
    "/{id}",
    response={200: SegmentOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_segment",
    summary="Update a segment",
)
def update_segment(request: HttpRequest, payload: SegmentPatchIn, id: int = RecordId) -> dict:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    segment = services.segment_update(
        actor=request.auth, segment=segment, data=data, version=version
    )
    return visible_record(request.auth, segment, SegmentOut)


@segments_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_segment",
    summary="Delete a segment",
)
def delete_segment(request: HttpRequest, id: int = RecordId) -> Status:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    services.segment_delete(actor=request.auth, segment=segment)
    return Status(204, None)


@segments_router.get(
    "/{id}/members",
    response={200: MemberPage, **error_responses(403, 404, 422)},
    operation_id="list_segment_members",
    summary="List a segment's members",
    description="Contacts you may read that match the rules (or are on the static list).",
)
def list_segment_members(
    request: HttpRequest,
    page: Query[PageParams],
    ordering: MemberOrdering | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    return page_body(
        request.auth,
        selectors.segment_members(actor=request.auth, segment=segment),
        SegmentMemberOut,
        page=page,
        orderings=MEMBER_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@segments_router.get(
    "/{id}/count",
    response={200: CountOut, **error_responses(403, 404, 422)},
    operation_id="count_segment_members",
    summary="Count a segment's members",
)
def count_segment_members(request: HttpRequest, id: int = RecordId) -> dict[str, int]:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    return {"count": services.segment_count(actor=request.auth, segment=segment)}


@segments_router.post(
    "/{id}/members",
    response={200: MembersChangedOut, **error_responses(403, 404, 422)},
    operation_id="add_segment_members",
    summary="Add contacts to a static list",
)
def add_segment_members(request: HttpRequest, payload: MembersIn, id: int = RecordId) -> dict:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    changed = services.segment_members_add(
        actor=request.auth, segment=segment, contact_ids=payload.contact_ids
    )
    return {"changed": changed}


@segments_router.delete(
    "/{id}/members",
    response={200: MembersChangedOut, **error_responses(403, 404, 422)},
    operation_id="remove_segment_members",
    summary="Remove contacts from a static list",
)
def remove_segment_members(request: HttpRequest, payload: MembersIn, id: int = RecordId) -> dict:
    segment = selectors.segment_get(actor=request.auth, pk=id)
    changed = services.segment_members_remove(
        actor=request.auth, segment=segment, contact_ids=payload.contact_ids
    )
    return {"changed": changed}


add_record_routes(
    segments_router,
    noun="segment",
    get_record=lambda *, actor, pk: selectors.segment_get(actor=actor, pk=pk),
)
