"""REST endpoints: capture form management (`/capture-forms`, needs capture form rights) and the
public submission endpoint (`/forms/{public_key}/submit`, no authentication)."""

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.errors import CrmError, ValidationFailed
from cyclecrm.core.pagination import paginate
from cyclecrm.core.ratelimit import RateLimited, client_ip
from cyclecrm.leads.capture import selectors, services
from cyclecrm.leads.capture.schemas import (
    SUBMIT_BODY_DOC,
    CaptureFormCreateIn,
    CaptureFormOut,
    CaptureFormPatchIn,
    SubmissionOut,
    SubmissionStatusValue,
    SubmitOut,
)
from cyclecrm.leads.models import FormSubmission

capture_forms_router = Router(tags=["capture forms"])
public_forms_router = Router(tags=["public forms"], auth=None)

CaptureFormPage = cursor_page(CaptureFormOut)
SubmissionPage = cursor_page(SubmissionOut)
CaptureFormOrdering = Literal[tuple(selectors.CAPTURE_FORM_ORDERINGS)]
PublicKey = Path(..., min_length=1, max_length=32, description="The form's public key.")
MAX_BODY = 256 * 1024


# -- management -------------------------------------------------------------------------------


@capture_forms_router.get(
    "",
    response={200: CaptureFormPage, **error_responses(422)},
    operation_id="list_capture_forms",
    summary="List capture forms",
)
def list_capture_forms(
    request: HttpRequest,
    page: Query[PageParams],
    ordering: CaptureFormOrdering | None = None,
    is_active: bool | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.capture_form_list(actor=request.auth, is_active=is_active),
        CaptureFormOut,
        page=page,
        orderings=selectors.CAPTURE_FORM_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@capture_forms_router.post(
    "",
    response={201: CaptureFormOut, **error_responses(403, 422)},
    operation_id="create_capture_form",
    summary="Create a capture form",
    description="The public key is generated and never changes.",
)
def create_capture_form(request: HttpRequest, payload: CaptureFormCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    form = services.capture_form_create(actor=request.auth, data=data)
    return Status(201, visible_record(request.auth, form, CaptureFormOut))


@capture_forms_router.get(
    "/{id}",
    response={200: CaptureFormOut, **error_responses(404, 422)},
    operation_id="get_capture_form",
    summary="Get one capture form",
)
def get_capture_form(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    form = selectors.capture_form_get(actor=request.auth, pk=id)
    return visible_record(request.auth, form, CaptureFormOut)


@capture_forms_router.patch(
    "/{id}",
    response={200: CaptureFormOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_capture_form",
    summary="Update a capture form",
    description="Only the fields sent change. `is_active: false` deactivates the form.",
)
def update_capture_form(
    request: HttpRequest, payload: CaptureFormPatchIn, id: int = RecordId
) -> dict[str, Any]:
    form = selectors.capture_form_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    form = services.capture_form_update(actor=request.auth, form=form, data=data, version=version)
    return visible_record(request.auth, form, CaptureFormOut)


@capture_forms_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_capture_form",
    summary="Delete a capture form",
    description="Its submissions go too; the leads stay. Deactivate to keep the history.",
)
def delete_capture_form(request: HttpRequest, id: int = RecordId) -> Status:
    form = selectors.capture_form_get(actor=request.auth, pk=id)
    services.capture_form_delete(actor=request.auth, form=form)
    return Status(204, None)


def _submission_out(row: FormSubmission) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SubmissionOut.model_fields}


@capture_forms_router.get(
    "/{id}/submissions",
    response={200: SubmissionPage, **error_responses(403, 404, 422)},
    operation_id="list_capture_form_submissions",
    summary="List a capture form's submissions",
    description="Newest first. Only for those who may edit capture forms.",
)
def list_capture_form_submissions(
    request: HttpRequest,
    page: Query[PageParams],
    status: SubmissionStatusValue | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    form = selectors.capture_form_get(actor=request.auth, pk=id)
    rows = selectors.submission_list(actor=request.auth, form=form, status=status)
    result = paginate(
        rows,
        orderings=selectors.SUBMISSION_ORDERINGS,
        ordering="-at",
        default_ordering="-at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [_submission_out(row) for row in result.items],
        "next_cursor": result.next_cursor,
    }


# -- public submission ------------------------------------------------------------------------

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Expose-Headers": "Retry-After",
    "Access-Control-Max-Age": "86400",
}


def _public_response(body: dict[str, Any] | None, status: int) -> HttpResponse:
    """Any web page may post to the endpoint (no cookies are involved), so every answer, errors
    included, carries CORS headers that let the page's script read it."""
    response = JsonResponse(body, status=status) if body is not None else HttpResponse(status=204)
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def _json_body(request: HttpRequest) -> Any:
    if len(request.body) > MAX_BODY:
        raise ValidationFailed(fields={"non_field": ["The request body is too large."]})
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(fields={"non_field": ["Send a JSON object."]}) from exc


@public_forms_router.post(
    "/{public_key}/submit",
    response={201: SubmitOut, **error_responses(404, 422, 429)},
    operation_id="submit_form",
    summary="Submit a capture form (public)",
    description=(
        "No authentication. Creates a lead, or attaches to the open lead with the same e-mail. "
        "`pending_confirmation` means a confirmation e-mail was sent (double opt-in). 429 comes "
        "with a `Retry-After` header (seconds). Unknown or inactive forms are 404. CORS is open, "
        "so a page on any site may post here from script."
    ),
    openapi_extra=SUBMIT_BODY_DOC,
)
def submit_form(request: HttpRequest, public_key: str = PublicKey) -> HttpResponse:
    try:
        form = selectors.capture_form_public(public_key=public_key)
        receipt = services.submission_receive(
            form=form,
            data=_json_body(request),
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            site_url=request.build_absolute_uri("/"),
        )
    except RateLimited as exc:
        response = _public_response(exc.as_body(), exc.status)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except CrmError as exc:
        return _public_response(exc.as_body(), exc.status)
    return _public_response({"status": receipt.status, "message": receipt.message}, 201)


@public_forms_router.api_operation(
    ["OPTIONS"], "/{public_key}/submit", include_in_schema=False, response={204: None}
)
def submit_form_preflight(request: HttpRequest, public_key: str) -> HttpResponse:
    return _public_response(None, 204)
