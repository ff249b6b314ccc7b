"""REST endpoints for interactions (`/api/v1/activities`) and the timeline route every record
router adds with `add_timeline_route`. Thin handlers over activities.interactions (writes) and
activities.timeline (reads); interactions the caller may not read are 404 everywhere."""

from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from cyclecrm.activities import interactions, timeline
from cyclecrm.activities.filters import (
    INTERACTION_SEARCH_FIELDS,
    InteractionFilters,
    _split_choices,
)
from cyclecrm.activities.ics import ics_filename, meeting_ics
from cyclecrm.activities.interaction_schemas import (
    InteractionCreateIn,
    InteractionOut,
    InteractionPage,
    InteractionPatchIn,
)
from cyclecrm.activities.models import Channel, Interaction
from cyclecrm.api.lists import (
    CSV_RESPONSE_DOC,
    CUSTOM_FILTER_DOC,
    PageParams,
    check_filter_ids,
    custom_params,
    filter_fields,
    refuse_hidden_filters,
)
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, error_responses, visible_record
from cyclecrm.contacts.models import Contact
from cyclecrm.core.export import ExportFormat, export_columns, export_response, require_export
from cyclecrm.core.pagination import paginate
from cyclecrm.identity.models import Action

interactions_router = Router(tags=["activities"])

InteractionOrdering = Literal[tuple(timeline.INTERACTION_ORDERINGS)]
FILTER_ALIASES = {
    "q": INTERACTION_SEARCH_FIELDS,
    "tag": ("tags",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
    "occurred_after": ("occurred_at",),
    "occurred_before": ("occurred_at",),
}
LIST_DOC = (
    "Interactions (e-mails, calls, meetings, chats, social messages, SMS, notes) you may read, "
    "newest first by default. `channel` takes one value or several, comma-separated. Pages are "
    "keyset-based: pass `next_cursor` back as `cursor` (with the same `ordering`). "
    + CUSTOM_FILTER_DOC
)
CREATE_DOC = (
    "Log an interaction: the push endpoint for telephony, chat and social integrations. Link "
    "records by id with `contact`, `account`, `lead`, `opportunity`, `case`, or send "
    "`contact_email` / `contact_phone` to have the contact matched among the contacts you may "
    "see (the answer names it in `contact`). The account defaults to the contact's. 422 names "
    "the field when nothing matches, several contacts match, a linked record is not one you "
    "may see, or a field does not belong to the channel (`duration_seconds` and `outcome` are "
    "for calls, `starts_at`, `ends_at`, `location`, `attendees` for meetings)."
)
PATCH_DOC = (
    "Partial update: only the fields sent change. Send the `version` you read; if the "
    "interaction changed since, the answer is 409 and nothing is stored."
)
ICS_DOC = {
    "responses": {
        "200": {
            "description": "The meeting as an iCalendar file (RFC 5545).",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    }
}


def _out(actor: Any, interaction: Interaction) -> dict[str, Any]:
    return visible_record(actor, interaction, InteractionOut)


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    return data, data.pop("tags", None), data.pop("custom", None)


@interactions_router.get(
    "",
    response={200: InteractionPage, **error_responses(403, 422)},
    operation_id="list_activities",
    summary="List interactions",
    description=LIST_DOC,
)
def list_activities(
    request: HttpRequest,
    filters: Query[InteractionFilters],
    page: Query[PageParams],
    ordering: InteractionOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=FILTER_ALIASES)
    spec = timeline.INTERACTION_ORDERINGS.get(ordering or "")
    if spec:
        used["ordering"] = spec.columns
    refuse_hidden_filters(actor, Interaction.record_type, used, custom)
    result = paginate(
        timeline.interaction_list(actor=actor, filters=filters, custom=custom),
        orderings=timeline.INTERACTION_ORDERINGS,
        ordering=ordering,
        default_ordering=timeline.DEFAULT_ORDERING,
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [_out(actor, row) for row in result.items], "next_cursor": result.next_cursor}


INTERACTION_EXPORT_COLUMNS = (
    "id", "channel", "direction", "subject", "occurred_at", "starts_at", "ends_at", "location",
    "contact_id", "account_id", "lead_id", "opportunity_id", "case_id", "owner_id", "team_id",
    "external_id", "tags", "created_at", "updated_at",
)  # fmt: skip


def _export_list(request: HttpRequest, filters: InteractionFilters, ordering: str | None) -> Any:
    actor = request.auth
    require_export(actor, Interaction.record_type)
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=FILTER_ALIASES)
    spec = timeline.INTERACTION_ORDERINGS[ordering or timeline.DEFAULT_ORDERING]
    used["ordering"] = spec.columns
    refuse_hidden_filters(actor, Interaction.record_type, used, custom)
    rows = timeline.interaction_list(
        actor=actor, filters=filters, custom=custom, action=Action.EXPORT
    )
    return rows.order_by(*spec.order_by())


@interactions_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_activities",
    summary="Export interactions as CSV or XLSX",
    description=(
        "The interactions matching the filters as CSV (streamed) or XLSX (`format=xlsx`); "
        "needs the export right. Bodies are not exported; fields hidden from you are left out."
    ),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_activities(
    request: HttpRequest,
    filters: Query[InteractionFilters],
    ordering: InteractionOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    queryset = _export_list(request, filters, ordering)
    columns = export_columns(request.auth, Interaction.record_type, INTERACTION_EXPORT_COLUMNS)
    return export_response(queryset, columns, "interactions", format)


@interactions_router.get(
    "/calendar",
    response=error_responses(403, 422),
    operation_id="export_activities_calendar",
    summary="Meetings as an iCalendar file",
    description="The meetings among the filtered interactions as one .ics; needs the export right.",
    openapi_extra=ICS_DOC,
)
def export_activities_calendar(
    request: HttpRequest,
    filters: Query[InteractionFilters],
    ordering: InteractionOrdering | None = None,
) -> HttpResponseBase:
    from cyclecrm.dataquality.interchange.ical import calendar_ics
    from cyclecrm.dataquality.interchange.responses import ics_response

    queryset = _export_list(request, filters, ordering).filter(channel=Channel.MEETING)
    body = calendar_ics(meetings=queryset.iterator(chunk_size=2000))
    return ics_response(body, "meetings.ics")


@interactions_router.get(
    "/{id}",
    response={200: InteractionOut, **error_responses(404, 422)},
    operation_id="get_activity",
    summary="Get one interaction",
)
def get_activity(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _out(request.auth, timeline.interaction_get(actor=request.auth, pk=id))


@interactions_router.post(
    "",
    response={201: InteractionOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_activity",
    summary="Log an interaction",
    description=CREATE_DOC,
)
def create_activity(request: HttpRequest, payload: InteractionCreateIn) -> Status:
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    created = interactions.interaction_log(actor=request.auth, data=data, tags=tags, custom=custom)
    return Status(
        201, _out(request.auth, timeline.interaction_get(actor=request.auth, pk=created.pk))
    )


@interactions_router.patch(
    "/{id}",
    response={200: InteractionOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_activity",
    summary="Update an interaction",
    description=PATCH_DOC,
)
def update_activity(request: HttpRequest, payload: InteractionPatchIn, id: int = RecordId) -> dict:
    actor = request.auth
    interaction = timeline.interaction_get(actor=actor, pk=id)
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    interactions.interaction_update(
        actor=actor, interaction=interaction, data=data, version=version, tags=tags, custom=custom
    )
    return _out(actor, timeline.interaction_get(actor=actor, pk=id))


@interactions_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_activity",
    summary="Delete an interaction",
)
def delete_activity(request: HttpRequest, id: int = RecordId) -> Status:
    interaction = timeline.interaction_get(actor=request.auth, pk=id)
    interactions.interaction_delete(actor=request.auth, interaction=interaction)
    return Status(204, None)


@interactions_router.get(
    "/{id}/ics",
    response={200: None, **error_responses(404, 422)},
    operation_id="get_activity_ics",
    summary="A meeting as an iCalendar file",
    description=(
        "The meeting as a `.ics` file to add to a calendar; downloading it again after a change "
        "updates the same event. 422 for interactions that are not meetings."
    ),
    openapi_extra=ICS_DOC,
)
def get_activity_ics(request: HttpRequest, id: int = RecordId) -> HttpResponse:
    actor = request.auth
    interaction = timeline.interaction_get(actor=actor, pk=id)
    return ics_response(actor, interaction)


def ics_response(actor: Any, interaction: Interaction) -> HttpResponse:
    """The .ics download of a meeting, naming only attendees the reader may see."""
    visible = timeline.visible_ids(actor, Contact, {c.pk for c in interaction.attendees.all()})
    owner = interaction.owner
    body = meeting_ics(
        interaction,
        organizer_email=owner.email if owner else "",
        visible_attendees=visible,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(interaction)}"'
    return response


add_record_routes(interactions_router, noun="activity", get_record=timeline.interaction_get)


# -- timelines of other records -----------------------------------------------------------------


class TimelineParams(Schema):
    channel: str | None = Field(
        None, description="One channel or several, comma-separated: `call,meeting`."
    )

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        return _split_choices(value, Channel.values, "channel")


def add_timeline_route(router: Router, *, noun: str, get_record: Callable[..., Any]) -> None:
    """Add `GET /{id}/timeline` to a record type's router: the interactions linked to the
    record that the caller may see, newest first, keyset-paginated. `get_record` is the type's
    `<entity>_get` selector, so a record the caller may not read is a 404."""

    @router.get(
        "/{id}/timeline",
        response={200: InteractionPage, **error_responses(404, 422)},
        operation_id=f"list_{noun}_timeline",
        url_name=f"{noun}_timeline",
        summary=f"Timeline of one {noun}",
        description=(
            f"The interactions linked to the {noun} that you may read, newest first"
            + (" (those of its contacts included)" if noun == "account" else "")
            + ". `channel` keeps one channel or several, comma-separated."
        ),
    )
    def list_timeline(
        request: HttpRequest,
        params: Query[TimelineParams],
        page: Query[PageParams],
        id: int = RecordId,
    ) -> dict[str, Any]:
        actor = request.auth
        record = get_record(actor=actor, pk=id)
        result = timeline.timeline_page(
            actor=actor,
            record=record,
            channels=params.channel.split(",") if params.channel else None,
            cursor=page.cursor,
            limit=page.limit,
        )
        items = [_out(actor, row) for row in result.items]
        return {"items": items, "next_cursor": result.next_cursor}
