"""REST endpoints for e-mail campaigns: CRUD, preview, test send, send/schedule/pause/resume/
cancel, recipients (keyset pages), statistics, and bounces reported by a mail system."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity.models import Action
from cyclecrm.mailings import rendering, selectors
from cyclecrm.mailings.schemas import (
    AbResultsOut,
    AbWinnerIn,
    BounceIn,
    MailingCreateIn,
    MailingOut,
    MailingPatchIn,
    PreviewOut,
    RecipientOut,
    ScheduleIn,
    StatsOut,
    TestSendIn,
    TestSentOut,
)
from cyclecrm.mailings.services import abtest, audience, mailings, sending, tracking

mailings_router = Router(tags=["mailings"])

MailingPage = cursor_page(MailingOut)
RecipientPage = cursor_page(RecipientOut)
MAILING_ORDERINGS = orderings_with_reverse({"created": ("created_at", "id"), "id": ("id",)})
RECIPIENT_ORDERINGS = orderings_with_reverse({"id": ("id",)})
MailingOrdering = Literal[tuple(MAILING_ORDERINGS)]


@mailings_router.get(
    "",
    response={200: MailingPage, **error_responses(422)},
    operation_id="list_mailings",
    summary="List mailings",
)
def list_mailings(
    request: HttpRequest, page: Query[PageParams], ordering: MailingOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.mailing_list(actor=request.auth),
        MailingOut,
        page=page,
        orderings=MAILING_ORDERINGS,
        ordering=ordering,
        default_ordering="-created",
    )


@mailings_router.post(
    "",
    response={201: MailingOut, **error_responses(403, 422)},
    operation_id="create_mailing",
    summary="Create a mailing (draft)",
)
def create_mailing(request: HttpRequest, payload: MailingCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    mailing = mailings.mailing_create(actor=request.auth, data=data)
    return Status(201, visible_record(request.auth, mailing, MailingOut))


@mailings_router.post(
    "/bounces",
    response={200: RecipientOut, **error_responses(403, 422)},
    operation_id="report_mailing_bounce",
    summary="Report a bounce",
    description="By Message-ID (preferred) or address; a hard bounce suppresses the contact in "
    "later mailings. Only for mailings you may edit.",
)
def report_mailing_bounce(request: HttpRequest, payload: BounceIn) -> Any:
    recipient = tracking.bounce_report(actor=request.auth, **payload.model_dump())
    return RecipientOut.model_validate(recipient, from_attributes=True).model_dump()


@mailings_router.get(
    "/{id}",
    response={200: MailingOut, **error_responses(404, 422)},
    operation_id="get_mailing",
    summary="Get one mailing",
)
def get_mailing(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    return visible_record(request.auth, mailing, MailingOut)


@mailings_router.patch(
    "/{id}",
    response={200: MailingOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_mailing",
    summary="Update a draft or scheduled mailing",
)
def update_mailing(request: HttpRequest, payload: MailingPatchIn, id: int = RecordId) -> dict:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    mailing = mailings.mailing_update(
        actor=request.auth, mailing=mailing, data=data, version=version
    )
    return visible_record(request.auth, mailing, MailingOut)


@mailings_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_mailing",
    summary="Delete a draft or cancelled mailing",
)
def delete_mailing(request: HttpRequest, id: int = RecordId) -> Status:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    mailings.mailing_delete(actor=request.auth, mailing=mailing)
    return Status(204, None)


@mailings_router.get(
    "/{id}/preview",
    response={200: PreviewOut, **error_responses(404, 422)},
    operation_id="preview_mailing",
    summary="The message as one contact would get it",
    description="Merge fields filled, sanitized HTML, no tracking.",
)
def preview_mailing(request: HttpRequest, contact_id: int, id: int = RecordId) -> dict:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    contact = selectors.preview_contact(actor=request.auth, pk=contact_id)
    rendered = rendering.render(mailing, contact, token=None, links=None)
    return {
        "contact_id": contact.pk,
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
    }


@mailings_router.post(
    "/{id}/test-send",
    response={200: TestSentOut, **error_responses(403, 404, 422)},
    operation_id="test_send_mailing",
    summary="Send a test message",
    description="To any address, with one contact's merge fields; no tracking, no recipient row.",
)
def test_send_mailing(request: HttpRequest, payload: TestSendIn, id: int = RecordId) -> dict:
    mailing = selectors.mailing_get(actor=request.auth, pk=id, action=Action.EDIT)
    contact = selectors.preview_contact(actor=request.auth, pk=payload.contact_id)
    to = mailings.clean_test_address(payload.to)
    sending.mailing_test_send(actor=request.auth, mailing=mailing, to=to, contact=contact)
    return {"to": to}


def _edit(request: HttpRequest, id: int) -> Any:
    return selectors.mailing_get(actor=request.auth, pk=id, action=Action.EDIT)


@mailings_router.post(
    "/{id}/send",
    response={200: MailingOut, **error_responses(403, 404, 409, 422)},
    operation_id="send_mailing",
    summary="Send now",
    description="Snapshots the audience (suppression counted by reason) and starts the worker.",
)
def send_mailing(request: HttpRequest, id: int = RecordId) -> dict:
    mailing = audience.mailing_start(actor=request.auth, mailing=_edit(request, id))
    return visible_record(request.auth, mailing, MailingOut)


@mailings_router.post(
    "/{id}/schedule",
    response={200: MailingOut, **error_responses(403, 404, 409, 422)},
    operation_id="schedule_mailing",
    summary="Schedule sending",
)
def schedule_mailing(request: HttpRequest, payload: ScheduleIn, id: int = RecordId) -> dict:
    mailing = mailings.mailing_schedule(
        actor=request.auth, mailing=_edit(request, id), at=payload.scheduled_at
    )
    return visible_record(request.auth, mailing, MailingOut)


def _transition(name: str, summary: str) -> None:
    service = getattr(mailings, f"mailing_{name}")

    @mailings_router.post(
        f"/{{id}}/{name}",
        response={200: MailingOut, **error_responses(403, 404, 409, 422)},
        operation_id=f"{name}_mailing",
        summary=summary,
    )
    def handler(request: HttpRequest, id: int = RecordId) -> dict:
        mailing = service(actor=request.auth, mailing=_edit(request, id))
        return visible_record(request.auth, mailing, MailingOut)

    handler.__name__ = f"{name}_mailing"


_transition("pause", "Pause sending")
_transition("resume", "Resume a paused mailing")
_transition("cancel", "Cancel a mailing")


@mailings_router.get(
    "/{id}/recipients",
    response={200: RecipientPage, **error_responses(404, 422)},
    operation_id="list_mailing_recipients",
    summary="List a mailing's recipients",
)
def list_mailing_recipients(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    result = paginate(
        selectors.recipient_list(mailing=mailing),
        orderings=RECIPIENT_ORDERINGS,
        ordering=None,
        default_ordering="id",
        limit=page.limit,
        cursor=page.cursor,
    )
    items = [RecipientOut.model_validate(row, from_attributes=True) for row in result.items]
    return {"items": [item.model_dump() for item in items], "next_cursor": result.next_cursor}


@mailings_router.get(
    "/{id}/stats",
    response={200: StatsOut, **error_responses(404, 422)},
    operation_id="get_mailing_stats",
    summary="Campaign statistics",
)
def get_mailing_stats(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    return selectors.mailing_stats(mailing=mailing)


@mailings_router.get(
    "/{id}/ab-results",
    response={200: AbResultsOut, **error_responses(404, 422)},
    operation_id="get_mailing_ab_results",
    summary="A/B test results",
    description="Per variant: counts, the metric's rate with its Wilson interval, the difference "
    "to the control (A) with its interval and p-value, the probability to be best; the verdict "
    "with its reason. 404 when the mailing has no A/B test.",
)
def get_mailing_ab_results(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    mailing = selectors.mailing_get(actor=request.auth, pk=id)
    results = selectors.ab_results(mailing=mailing)
    if results is None:
        raise NotFound("This mailing has no A/B test.")
    return results


@mailings_router.post(
    "/{id}/ab-winner",
    response={200: MailingOut, **error_responses(403, 404, 409, 422)},
    operation_id="send_mailing_ab_winner",
    summary="Send a variant to the rest",
    description="Sends the chosen variant to the held-back recipients, each once; only after "
    "the test groups were sent and before a winner was sent.",
)
def send_mailing_ab_winner(request: HttpRequest, payload: AbWinnerIn, id: int = RecordId) -> dict:
    mailing = abtest.send_variant_to_rest(
        actor=request.auth, mailing=_edit(request, id), variant=payload.variant
    )
    return visible_record(request.auth, mailing, MailingOut)


add_record_routes(
    mailings_router,
    noun="mailing",
    get_record=lambda *, actor, pk: selectors.mailing_get(actor=actor, pk=pk),
)
