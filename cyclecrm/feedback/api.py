"""REST endpoints for surveys: CRUD, sending, responses and metrics; and the public answer
endpoint (no login: the link token is the credential). Thin handlers over feedback.services,
feedback.selectors and feedback.metrics."""

import dataclasses
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.errors import CrmError, NotFound, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.feedback import selectors, services
from cyclecrm.feedback.metrics import survey_metrics
from cyclecrm.feedback.schemas import (
    SurveyAnswerIn,
    SurveyCreateIn,
    SurveyMetricsOut,
    SurveyOut,
    SurveyPatchIn,
    SurveyResponseOut,
    SurveySendIn,
    SurveySendOut,
)
from cyclecrm.feedback.services.answers import LinkState

surveys_router = Router(tags=["surveys"])
public_surveys_router = Router(tags=["surveys"], auth=None)

SurveyPage = cursor_page(SurveyOut)
ResponsePage = cursor_page(SurveyResponseOut)
SURVEY_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
RESPONSE_ORDERINGS = orderings_with_reverse({"answered_at": ("answered_at", "id")})
SurveyOrdering = Literal[tuple(SURVEY_ORDERINGS)]
Token = Path(..., min_length=1, max_length=200, description="The token of the survey link.")


@surveys_router.get(
    "",
    response={200: SurveyPage, **error_responses(422)},
    operation_id="list_surveys",
    summary="List surveys",
)
def list_surveys(
    request: HttpRequest, page: Query[PageParams], ordering: SurveyOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.survey_list(actor=request.auth),
        SurveyOut,
        page=page,
        orderings=SURVEY_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@surveys_router.post(
    "",
    response={201: SurveyOut, **error_responses(403, 422)},
    operation_id="create_survey",
    summary="Create a survey",
    description=(
        "An NPS (0-10) or CSAT (1-5) survey. `queue_ids` (CSAT) sends it when a case of those "
        "queues is resolved; `target_contact_ids` (NPS) are the contacts a send to target asks."
    ),
)
def create_survey(request: HttpRequest, payload: SurveyCreateIn) -> Status:
    survey = services.survey_create(actor=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, visible_record(request.auth, survey, SurveyOut))


@surveys_router.get(
    "/{id}",
    response={200: SurveyOut, **error_responses(404, 422)},
    operation_id="get_survey",
    summary="Get one survey",
)
def get_survey(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.survey_get(actor=request.auth, pk=id), SurveyOut)


@surveys_router.patch(
    "/{id}",
    response={200: SurveyOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_survey",
    summary="Update a survey",
)
def update_survey(request: HttpRequest, payload: SurveyPatchIn, id: int = RecordId) -> dict:
    survey = selectors.survey_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    survey = services.survey_update(actor=request.auth, survey=survey, data=data, version=version)
    return visible_record(request.auth, survey, SurveyOut)


@surveys_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_survey",
    summary="Delete a survey",
    description="Deletes its invitations and responses too.",
)
def delete_survey(request: HttpRequest, id: int = RecordId) -> Status:
    survey = selectors.survey_get(actor=request.auth, pk=id)
    services.survey_delete(actor=request.auth, survey=survey)
    return Status(204, None)


@surveys_router.post(
    "/{id}/send",
    response={200: SurveySendOut, **error_responses(403, 404, 422)},
    operation_id="send_survey",
    summary="Send a survey to contacts",
    description=(
        "E-mails each contact a single-use link. Contacts who asked not to be contacted or have "
        "no address are skipped and listed in `skipped`. Needs the right to edit the survey."
    ),
)
def send_survey(request: HttpRequest, payload: SurveySendIn, id: int = RecordId) -> dict:
    actor = request.auth
    survey = selectors.survey_get(actor=actor, pk=id)
    wanted = set(payload.contact_ids)
    contacts = list(selectors.visible_contacts(actor=actor).filter(pk__in=wanted))
    missing = sorted(wanted - {contact.pk for contact in contacts})
    if missing:
        raise ValidationFailed(
            fields={"contact_ids": [f"No contact you may see with id {missing[0]}."]}
        )
    result = services.survey_send(actor=actor, survey=survey, contacts=contacts)
    return {
        "invitations": len(result.invitations),
        "skipped": {str(pk): reason for pk, reason in result.skipped.items()},
    }


@surveys_router.get(
    "/{id}/responses",
    response={200: ResponsePage, **error_responses(404, 422)},
    operation_id="list_survey_responses",
    summary="List a survey's responses",
    description="Newest first; only responses of contacts you may read.",
)
def list_survey_responses(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    actor = request.auth
    survey = selectors.survey_get(actor=actor, pk=id)
    result = paginate(
        selectors.response_list(actor=actor, survey=survey),
        orderings=RESPONSE_ORDERINGS,
        ordering=None,
        default_ordering="-answered_at",
        limit=page.limit,
        cursor=page.cursor,
    )
    fields = SurveyResponseOut.model_fields
    return {
        "items": [{name: getattr(row, name) for name in fields} for row in result.items],
        "next_cursor": result.next_cursor,
    }


@surveys_router.get(
    "/{id}/metrics",
    response={200: SurveyMetricsOut, **error_responses(404, 422)},
    operation_id="get_survey_metrics",
    summary="A survey's score and trend",
    description=(
        "NPS = % promoters (9-10) - % detractors (0-6); CSAT = % of answers 4-5. Each figure "
        "has its n and a 95 % interval; `score` is null when n = 0. `trend` has one bucket per "
        "UTC week or month with answers. Counts only responses of contacts you may read."
    ),
)
def get_survey_metrics(
    request: HttpRequest, period: Literal["week", "month"] = "month", id: int = RecordId
) -> dict[str, Any]:
    actor = request.auth
    survey = selectors.survey_get(actor=actor, pk=id)
    responses = selectors.response_list(actor=actor, survey=survey)
    overall, trend = survey_metrics(kind=survey.kind, responses=responses, period=period)
    return {
        "kind": survey.kind,
        "overall": dataclasses.asdict(overall),
        "period": period,
        "trend": [
            {"start": bucket.start, "figure": dataclasses.asdict(bucket.figure)} for bucket in trend
        ],
    }


add_record_routes(
    surveys_router,
    noun="survey",
    get_record=lambda *, actor, pk: selectors.survey_get(actor=actor, pk=pk),
)


class LinkGone(CrmError):
    status = 410
    code = "gone"
    default_message = "This survey link can no longer be answered."


@public_surveys_router.post(
    "/{token}",
    response={201: None, **error_responses(404, 410, 422)},
    operation_id="answer_survey",
    summary="Answer a survey (public)",
    description=(
        "No login: the link's token is the credential. 404 for an unknown token, 410 when the "
        "link has expired or was already answered, 422 for a score outside the survey's scale."
    ),
)
def answer_survey(request: HttpRequest, payload: SurveyAnswerIn, token: str = Token) -> Status:
    invitation, state = services.invitation_for_token(token)
    if invitation is None or state == LinkState.UNKNOWN:
        raise NotFound("No survey with this link.")
    if state != LinkState.OPEN:
        message = (
            "This link was already answered."
            if state == LinkState.ANSWERED
            else ("This link has expired.")
        )
        raise LinkGone(message, fields={"token": [message]})
    services.response_submit(invitation=invitation, score=payload.score, comment=payload.comment)
    return Status(201, None)
