"""REST endpoints for reviews: policies (CRUD), requests (list, ask now), reviews (keyset list
with filters, log one received elsewhere, moderation), testimonials export, rating summaries, and
the public answer to a review link. Thin handlers over advocacy services and selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.advocacy import review_requests as requests_service
from cyclecrm.advocacy import review_selectors as selectors
from cyclecrm.advocacy import reviews as reviews_service
from cyclecrm.advocacy.review_export import testimonials_csv
from cyclecrm.advocacy.review_schemas import (
    PublicReviewIn,
    ReviewLogIn,
    ReviewOut,
    ReviewPolicyCreateIn,
    ReviewPolicyOut,
    ReviewPolicyPatchIn,
    ReviewRejectIn,
    ReviewRequestCreateIn,
    ReviewRequestOut,
    ReviewSummaryOut,
    StatusValue,
    TestimonialOut,
)
from cyclecrm.api.lists import CSV_RESPONSE_DOC, PageParams, check_filter_ids, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses, visible_record
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import CrmError, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.feedback.services.answers import LinkState
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

review_policies_router = Router(tags=["Reviews"])
review_requests_router = Router(tags=["Reviews"])
reviews_router = Router(tags=["Reviews"])
public_reviews_router = Router(tags=["Public"], auth=None)

POLICY_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
REQUEST_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})
REVIEW_ORDERINGS = orderings_with_reverse({"submitted_at": ("submitted_at", "id")})
PolicyOrdering = Literal[tuple(POLICY_ORDERINGS)]
RequestOrdering = Literal[tuple(REQUEST_ORDERINGS)]
ReviewOrdering = Literal[tuple(REVIEW_ORDERINGS)]
Token = Path(..., min_length=1, max_length=200, description="The token of the review link.")
FilterId = Field(None, ge=1, le=MAX_ID)


def _contact(actor: User, pk: int, field: str = "contact_id") -> Contact:
    contact = access.restrict(Contact.objects.filter(pk=pk), actor).first()
    if contact is None:
        raise ValidationFailed(fields={field: ["No contact you may see with this id."]})
    return contact


# -- policies ---------------------------------------------------------------------------------


@review_policies_router.get(
    "",
    response={200: cursor_page(ReviewPolicyOut), **error_responses(422)},
    operation_id="list_review_policies",
    summary="List review request policies",
)
def list_review_policies(
    request: HttpRequest, page: Query[PageParams], ordering: PolicyOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.review_policy_list(actor=request.auth),
        ReviewPolicyOut,
        page=page,
        orderings=POLICY_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@review_policies_router.post(
    "",
    response={201: ReviewPolicyOut, **error_responses(403, 422)},
    operation_id="create_review_policy",
    summary="Create a review request policy",
    description="When review requests go out (trigger, delay, quiet period) and their e-mail.",
)
def create_review_policy(request: HttpRequest, payload: ReviewPolicyCreateIn) -> Status:
    policy = requests_service.review_policy_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, visible_record(request.auth, policy, ReviewPolicyOut))


@review_policies_router.get(
    "/{id}",
    response={200: ReviewPolicyOut, **error_responses(404, 422)},
    operation_id="get_review_policy",
    summary="Get one review request policy",
)
def get_review_policy(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    policy = selectors.review_policy_get(actor=request.auth, pk=id)
    return visible_record(request.auth, policy, ReviewPolicyOut)


@review_policies_router.patch(
    "/{id}",
    response={200: ReviewPolicyOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_review_policy",
    summary="Update a review request policy",
)
def update_review_policy(
    request: HttpRequest, payload: ReviewPolicyPatchIn, id: int = RecordId
) -> dict[str, Any]:
    policy = selectors.review_policy_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    policy = requests_service.review_policy_update(
        actor=request.auth, policy=policy, data=data, version=version
    )
    return visible_record(request.auth, policy, ReviewPolicyOut)


@review_policies_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_review_policy",
    summary="Delete a review request policy",
    description="Requests already created keep their link; they lose the policy reference.",
)
def delete_review_policy(request: HttpRequest, id: int = RecordId) -> Status:
    policy = selectors.review_policy_get(actor=request.auth, pk=id)
    requests_service.review_policy_delete(actor=request.auth, policy=policy)
    return Status(204, None)


add_record_routes(
    review_policies_router,
    noun="review_policy",
    get_record=lambda *, actor, pk: selectors.review_policy_get(actor=actor, pk=pk),
)


# -- requests ---------------------------------------------------------------------------------


class ReviewRequestFilters(Schema):
    contact: int | None = FilterId


@review_requests_router.get(
    "",
    response={200: cursor_page(ReviewRequestOut), **error_responses(422)},
    operation_id="list_review_requests",
    summary="List review requests",
    description="Requests to contacts you may read, newest first.",
)
def list_review_requests(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[ReviewRequestFilters],
    ordering: RequestOrdering | None = None,
) -> dict[str, Any]:
    rows = selectors.review_request_list(actor=request.auth)
    if filters.contact is not None:
        rows = rows.filter(contact_id=filters.contact)
    result = paginate(
        rows,
        orderings=REQUEST_ORDERINGS,
        ordering=ordering,
        default_ordering="-created_at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@review_requests_router.post(
    "",
    response={201: ReviewRequestOut, **error_responses(403, 422)},
    operation_id="create_review_request",
    summary="Ask a contact for a review now",
    description=(
        "Sends the e-mail at once (trigger `manual`). 422 names `contact` with the reason when "
        "the contact may not be asked: no e-mail address, do-not-contact, unsubscribed, an open "
        "request or the quiet period of the active manual policy."
    ),
)
def create_review_request(request: HttpRequest, payload: ReviewRequestCreateIn) -> Status:
    contact = _contact(request.auth, payload.contact_id)
    created = requests_service.review_request_manual(actor=request.auth, contact=contact)
    return Status(201, created)


# -- reviews ----------------------------------------------------------------------------------


class ReviewFiltersIn(Schema):
    status: StatusValue | None = None
    rating: int | None = Field(None, ge=1, le=5)
    account: int | None = FilterId
    product: int | None = FilterId
    contact: int | None = FilterId
    featured: bool | None = None


def _filters(filters: ReviewFiltersIn) -> selectors.ReviewFilters:
    check_filter_ids(filters)
    return selectors.ReviewFilters(**filters.model_dump())


@reviews_router.get(
    "",
    response={200: cursor_page(ReviewOut), **error_responses(422)},
    operation_id="list_reviews",
    summary="List reviews",
    description="Newest first by default; filter by status, rating, account, product, contact.",
)
def list_reviews(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[ReviewFiltersIn],
    ordering: ReviewOrdering | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.review_list(actor=request.auth, filters=_filters(filters)),
        ReviewOut,
        page=page,
        orderings=REVIEW_ORDERINGS,
        ordering=ordering,
        default_ordering="-submitted_at",
    )


@reviews_router.post(
    "",
    response={201: ReviewOut, **error_responses(403, 422)},
    operation_id="create_review",
    summary="Log a review received elsewhere",
    description="Source manual: by phone, at an event, on a review site. Starts pending.",
)
def create_review(request: HttpRequest, payload: ReviewLogIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    contact = _contact(request.auth, data.pop("contact_id"))
    review = reviews_service.review_log(actor=request.auth, contact=contact, data=data)
    return Status(201, visible_record(request.auth, review, ReviewOut))


@reviews_router.get(
    "/testimonials",
    response={200: list[TestimonialOut], **error_responses(403, 422)},
    operation_id="export_testimonials",
    summary="Export approved testimonials (JSON or CSV)",
    description=(
        "Approved reviews the customer allowed us to publish, featured first. The author's name "
        "and company are filled only where the customer allowed each. Needs the export right."
    ),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_testimonials(request: HttpRequest, format: Literal["json", "csv"] = "json") -> Any:
    if access.level(request.auth, "review", Action.EXPORT) == Level.NONE:
        raise Forbidden("You may not export reviews.")
    rows = selectors.testimonial_list(actor=request.auth)
    if format == "csv":
        return testimonials_csv(rows)
    return rows


@reviews_router.get(
    "/summary",
    response={200: ReviewSummaryOut, **error_responses(422)},
    operation_id="get_review_summary",
    summary="Review count and average rating",
    description="For an account or a product (or all reviews you may read).",
)
def get_review_summary(
    request: HttpRequest,
    account: int | None = Query(None, ge=1, le=MAX_ID),
    product: int | None = Query(None, ge=1, le=MAX_ID),
) -> dict[str, Any]:
    return selectors.review_summary(actor=request.auth, account=account, product=product)


@reviews_router.get(
    "/{id}",
    response={200: ReviewOut, **error_responses(404, 422)},
    operation_id="get_review",
    summary="Get one review",
)
def get_review(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.review_get(actor=request.auth, pk=id), ReviewOut)


def _moderated(request: HttpRequest, id: int, action: str, **kwargs: Any) -> dict[str, Any]:
    review = selectors.review_get(actor=request.auth, pk=id)
    handlers = {
        "approve": reviews_service.review_approve,
        "reject": reviews_service.review_reject,
        "feature": reviews_service.review_feature,
    }
    review = handlers[action](actor=request.auth, review=review, **kwargs)
    return visible_record(request.auth, review, ReviewOut)


@reviews_router.post(
    "/{id}/approve",
    response={200: ReviewOut, **error_responses(403, 404, 422)},
    operation_id="approve_review",
    summary="Approve a review",
)
def approve_review(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _moderated(request, id, "approve")


@reviews_router.post(
    "/{id}/reject",
    response={200: ReviewOut, **error_responses(403, 404, 422)},
    operation_id="reject_review",
    summary="Reject a review, with a reason",
)
def reject_review(request: HttpRequest, payload: ReviewRejectIn, id: int = RecordId) -> dict:
    return _moderated(request, id, "reject", reason=payload.reason)


@reviews_router.post(
    "/{id}/feature",
    response={200: ReviewOut, **error_responses(403, 404, 409, 422)},
    operation_id="feature_review",
    summary="Feature a review",
    description="409 unless the review is approved and the customer allowed publishing it.",
)
def feature_review(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _moderated(request, id, "feature", featured=True)


@reviews_router.post(
    "/{id}/unfeature",
    response={200: ReviewOut, **error_responses(403, 404, 422)},
    operation_id="unfeature_review",
    summary="Stop featuring a review",
)
def unfeature_review(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _moderated(request, id, "feature", featured=False)


add_record_routes(
    reviews_router,
    noun="review",
    get_record=lambda *, actor, pk: selectors.review_get(actor=actor, pk=pk),
)


# -- public -----------------------------------------------------------------------------------


class LinkGone(CrmError):
    status = 410
    code = "gone"
    default_message = "This review link can no longer be used."


@public_reviews_router.post(
    "/{token}",
    response={201: None, **error_responses(404, 410, 422)},
    operation_id="submit_review",
    summary="Write a review (public)",
    description=(
        "No login: the link's token is the credential. 404 for an unknown token, 410 when the "
        "link has expired or was already used, 422 naming each invalid field."
    ),
)
def submit_review(request: HttpRequest, payload: PublicReviewIn, token: str = Token) -> Status:
    review_request, state = selectors.review_request_for_token(token)
    if review_request is None or state == LinkState.UNKNOWN:
        raise NotFound("No review request with this link.")
    if state != LinkState.OPEN:
        message = (
            reviews_service.LINK_USED
            if state == LinkState.ANSWERED
            else reviews_service.LINK_EXPIRED
        )
        raise LinkGone(message, fields={"token": [message]})
    try:
        reviews_service.review_submit(request=review_request, data=payload.model_dump())
    except ValidationFailed as exc:
        if "token" in exc.fields:  # used meanwhile by a racing submission
            raise LinkGone(exc.message, fields=exc.fields) from exc
        raise
    return Status(201, None)
