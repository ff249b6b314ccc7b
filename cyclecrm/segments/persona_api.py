"""REST endpoints for personas; each answer carries the live size of the linked segment."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity.models import User
from cyclecrm.segments import selectors, services
from cyclecrm.segments.models import Persona
from cyclecrm.segments.schemas import (
    PersonaCreateIn,
    PersonaFiguresOut,
    PersonaOut,
    PersonaPatchIn,
)

personas_router = Router(tags=["personas"])

PersonaPage = cursor_page(PersonaOut)
PERSONA_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
PersonaOrdering = Literal[tuple(PERSONA_ORDERINGS)]


def _out(actor: User, persona: Persona) -> dict[str, Any]:
    return _page_out(actor, [persona])[0]


def _page_out(actor: User, personas: list[Persona]) -> list[dict[str, Any]]:
    """A page of personas with their segment sizes counted together (no query per persona)."""
    segments = selectors.persona_segments(actor=actor, personas=personas)
    for persona in personas:
        persona.segment_size = segments[persona.pk].size
    return [visible_record(actor, persona, PersonaOut) for persona in personas]


@personas_router.get(
    "",
    response={200: PersonaPage, **error_responses(422)},
    operation_id="list_personas",
    summary="List personas",
    description="`segment_size` of every persona of the page is counted in one query.",
)
def list_personas(
    request: HttpRequest, page: Query[PageParams], ordering: PersonaOrdering | None = None
) -> dict[str, Any]:
    result = paginate(
        selectors.persona_list(actor=request.auth),
        orderings=PERSONA_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": _page_out(request.auth, list(result.items)),
        "next_cursor": result.next_cursor,
    }


@personas_router.post(
    "",
    response={201: PersonaOut, **error_responses(403, 422)},
    operation_id="create_persona",
    summary="Create a persona",
)
def create_persona(request: HttpRequest, payload: PersonaCreateIn) -> Status:
    persona = services.persona_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, _out(request.auth, persona))


@personas_router.get(
    "/{id}",
    response={200: PersonaOut, **error_responses(404, 422)},
    operation_id="get_persona",
    summary="Get one persona",
)
def get_persona(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _out(request.auth, selectors.persona_get(actor=request.auth, pk=id))


@personas_router.get(
    "/{id}/figures",
    response={200: PersonaFiguresOut, **error_responses(404, 422)},
    operation_id="get_persona_figures",
    summary="Key figures of a persona's segment",
    description="404 when the persona has no segment you may read.",
)
def get_persona_figures(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    persona = selectors.persona_get(actor=request.auth, pk=id)
    figures = selectors.persona_figures(actor=request.auth, persona=persona)
    if figures is None:
        raise NotFound("This persona has no segment you may read.")
    return figures


@personas_router.patch(
    "/{id}",
    response={200: PersonaOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_persona",
    summary="Update a persona",
)
def update_persona(request: HttpRequest, payload: PersonaPatchIn, id: int = RecordId) -> dict:
    persona = selectors.persona_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    persona = services.persona_update(
        actor=request.auth, persona=persona, data=data, version=version
    )
    return _out(request.auth, persona)


@personas_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_persona",
    summary="Delete a persona",
)
def delete_persona(request: HttpRequest, id: int = RecordId) -> Status:
    persona = selectors.persona_get(actor=request.auth, pk=id)
    services.persona_delete(actor=request.auth, persona=persona)
    return Status(204, None)


add_record_routes(
    personas_router,
    noun="persona",
    get_record=lambda *, actor, pk: selectors.persona_get(actor=actor, pk=pk),
)
