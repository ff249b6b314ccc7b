"""REST endpoints for nurture sequences: CRUD with steps, enrolling, enrollments (keyset pages)
and per-step statistics. Thin handlers over nurture.services, enrollment and selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.nurture import enrollment as enrolling
from cyclecrm.nurture import selectors, services
from cyclecrm.nurture.models import Enrollment
from cyclecrm.nurture.schemas import (
    SequenceCreateIn,
    SequenceDetailOut,
    SequenceEnrollIn,
    SequenceEnrollmentOut,
    SequenceEnrollOut,
    SequenceOut,
    SequencePatchIn,
    SequenceReorderIn,
    SequenceStepIn,
    SequenceStepOut,
    SequenceStepPatchIn,
    SequenceStepStatsOut,
)
from cyclecrm.segments.selectors import segment_get

sequences_router = Router(tags=["sequences"])

SequencePage = cursor_page(SequenceOut)
EnrollmentPage = cursor_page(SequenceEnrollmentOut)
SEQUENCE_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
ENROLLMENT_ORDERINGS = orderings_with_reverse({"enrolled_at": ("enrolled_at", "id")})
SequenceOrdering = Literal[tuple(SEQUENCE_ORDERINGS)]
StepId = Path(..., ge=1, le=MAX_ID, description="The step's id.")
EnrollmentId = Path(..., ge=1, le=MAX_ID, description="The enrollment's id.")


def _detail(request: HttpRequest, sequence: Any) -> dict[str, Any]:
    return visible_record(request.auth, sequence, SequenceDetailOut)


def step_out(step: Any) -> dict[str, Any]:
    return {name: getattr(step, name) for name in SequenceStepOut.model_fields}


def enrollment_out(row: Enrollment) -> dict[str, Any]:
    person = row.contact or row.lead
    data = {
        name: getattr(row, name) for name in SequenceEnrollmentOut.model_fields if name != "name"
    }
    data["name"] = str(person) if person is not None else ""
    return data


@sequences_router.get(
    "",
    response={200: SequencePage, **error_responses(422)},
    operation_id="list_sequences",
    summary="List sequences",
)
def list_sequences(
    request: HttpRequest, page: Query[PageParams], ordering: SequenceOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.sequence_list(actor=request.auth),
        SequenceOut,
        page=page,
        orderings=SEQUENCE_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@sequences_router.post(
    "",
    response={201: SequenceDetailOut, **error_responses(403, 422)},
    operation_id="create_sequence",
    summary="Create a sequence (a draft)",
)
def create_sequence(request: HttpRequest, payload: SequenceCreateIn) -> Status:
    sequence = services.sequence_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, _detail(request, sequence))


@sequences_router.get(
    "/{id}",
    response={200: SequenceDetailOut, **error_responses(404, 422)},
    operation_id="get_sequence",
    summary="Get one sequence with its steps",
)
def get_sequence(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _detail(request, selectors.sequence_get(actor=request.auth, pk=id))


@sequences_router.patch(
    "/{id}",
    response={200: SequenceDetailOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_sequence",
    summary="Update a sequence or change its status",
)
def update_sequence(request: HttpRequest, payload: SequencePatchIn, id: int = RecordId) -> dict:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    sequence = services.sequence_update(
        actor=request.auth, sequence=sequence, data=data, version=version
    )
    return _detail(request, sequence)


@sequences_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_sequence",
    summary="Delete a sequence, its steps and enrollments",
)
def delete_sequence(request: HttpRequest, id: int = RecordId) -> Status:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    services.sequence_delete(actor=request.auth, sequence=sequence)
    return Status(204, None)


@sequences_router.post(
    "/{id}/steps",
    response={201: SequenceStepOut, **error_responses(403, 404, 422)},
    operation_id="add_sequence_step",
    summary="Add a step",
    description="422 names the bad key, e.g. `config.condition.rules.all[0].field`.",
)
def add_sequence_step(request: HttpRequest, payload: SequenceStepIn, id: int = RecordId) -> Status:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    step = services.step_add(
        actor=request.auth, sequence=sequence, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, step_out(step))


@sequences_router.post(
    "/{id}/steps/reorder",
    response={200: list[SequenceStepOut], **error_responses(403, 404, 422)},
    operation_id="reorder_sequence_steps",
    summary="Reorder the steps",
    description="Branch targets and enrollments follow their steps.",
)
def reorder_sequence_steps(
    request: HttpRequest, payload: SequenceReorderIn, id: int = RecordId
) -> list:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    steps = services.step_reorder(actor=request.auth, sequence=sequence, step_ids=payload.step_ids)
    return [step_out(step) for step in steps]


@sequences_router.patch(
    "/{id}/steps/{step_id}",
    response={200: SequenceStepOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_sequence_step",
    summary="Change a step",
)
def update_sequence_step(
    request: HttpRequest, payload: SequenceStepPatchIn, id: int = RecordId, step_id: int = StepId
) -> dict[str, Any]:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    step = selectors.step_get(sequence=sequence, pk=step_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    step = services.step_update(actor=request.auth, step=step, data=data, version=version)
    return step_out(step)


@sequences_router.delete(
    "/{id}/steps/{step_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_sequence_step",
    summary="Delete a step",
)
def delete_sequence_step(request: HttpRequest, id: int = RecordId, step_id: int = StepId) -> Status:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    services.step_delete(actor=request.auth, step=selectors.step_get(sequence=sequence, pk=step_id))
    return Status(204, None)


@sequences_router.post(
    "/{id}/enroll",
    response={200: SequenceEnrollOut, **error_responses(403, 404, 422)},
    operation_id="enroll_in_sequence",
    summary="Enroll contacts, leads or a segment's members",
    description="People already in the sequence (active or paused) are skipped.",
)
def enroll_in_sequence(request: HttpRequest, payload: SequenceEnrollIn, id: int = RecordId) -> dict:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    if payload.segment_id is not None:
        segment = segment_get(actor=request.auth, pk=payload.segment_id)
        result = enrolling.enroll_segment(actor=request.auth, sequence=sequence, segment=segment)
    else:
        result = enrolling.enroll(
            sequence=sequence,
            contacts=payload.contact_ids,
            leads=payload.lead_ids,
            source="hand",
            actor=request.auth,
        )
    return {"enrolled": result.enrolled, "skipped": result.skipped}


@sequences_router.get(
    "/{id}/enrollments",
    response={200: EnrollmentPage, **error_responses(404, 422)},
    operation_id="list_sequence_enrollments",
    summary="List a sequence's enrollments",
    description="Newest first; only people you may read.",
)
def list_sequence_enrollments(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    result = paginate(
        selectors.enrollment_list(actor=request.auth, sequence=sequence),
        orderings=ENROLLMENT_ORDERINGS,
        ordering=None,
        default_ordering="-enrolled_at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [enrollment_out(row) for row in result.items],
        "next_cursor": result.next_cursor,
    }


@sequences_router.post(
    "/{id}/enrollments/{enrollment_id}/{action}",
    response={200: SequenceEnrollmentOut, **error_responses(403, 404, 422)},
    operation_id="change_sequence_enrollment",
    summary="Pause, resume or exit (unenroll) one enrollment",
)
def change_sequence_enrollment(
    request: HttpRequest,
    action: Literal["pause", "resume", "exit"],
    id: int = RecordId,
    enrollment_id: int = EnrollmentId,
) -> dict[str, Any]:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    row = selectors.enrollment_get(actor=request.auth, sequence=sequence, pk=enrollment_id)
    service = {
        "pause": enrolling.enrollment_pause,
        "resume": enrolling.enrollment_resume,
        "exit": enrolling.enrollment_exit,
    }[action]
    return enrollment_out(service(actor=request.auth, enrollment=row))


@sequences_router.get(
    "/{id}/stats",
    response={200: list[SequenceStepStatsOut], **error_responses(404, 422)},
    operation_id="get_sequence_stats",
    summary="Per-step statistics",
)
def get_sequence_stats(request: HttpRequest, id: int = RecordId) -> list[dict[str, Any]]:
    sequence = selectors.sequence_get(actor=request.auth, pk=id)
    return selectors.sequence_stats(sequence=sequence)


add_record_routes(
    sequences_router,
    noun="sequence",
    get_record=lambda *, actor, pk: selectors.sequence_get(actor=actor, pk=pk),
)
