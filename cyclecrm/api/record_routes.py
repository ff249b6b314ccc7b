"""Routes every business record type has the same way: its audit history and its shares.

`add_record_routes(router, noun=..., get_record=...)` adds
`GET /{id}/history`, `GET|POST /{id}/shares` and `DELETE /{id}/shares/{share_id}`; `get_record`
is the type's `<entity>_get` selector, so a record the caller may not read is a 404 everywhere.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import (
    MAX_ID,
    HistoryEntryOut,
    HistoryPage,
    RecordId,
    ShareCreateIn,
    ShareOut,
    cursor_page,
    error_responses,
)
from cyclecrm.core.history import history_list, visible_changes
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import selectors as identity_selectors
from cyclecrm.identity.services import share_create, share_delete

HISTORY_ORDERINGS = orderings_with_reverse({"at": ("at", "id")})
SHARE_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})
SharePage = cursor_page(ShareOut)
ShareId = Path(..., ge=1, le=MAX_ID, description="The share's id.")


def history_item(actor: Any, entry: HistoryEntry) -> dict[str, Any]:
    """One history entry as the API shows it: fields hidden from `actor` are left out."""
    data = {name: getattr(entry, name) for name in HistoryEntryOut.model_fields}
    data["changes"] = visible_changes(actor, entry.record_type, entry.changes or {})
    return data


def add_record_routes(router: Router, *, noun: str, get_record: Callable[..., Any]) -> None:
    _add_history_route(router, noun=noun, get_record=get_record)
    _add_share_routes(router, noun=noun, get_record=get_record)


def _add_history_route(router: Router, *, noun: str, get_record: Callable[..., Any]) -> None:
    @router.get(
        "/{id}/history",
        response={200: HistoryPage, **error_responses(404, 422)},
        operation_id=f"list_{noun}_history",
        url_name=f"{noun}_history",
        summary=f"History of one {noun}",
        description=(
            f"Every change to the {noun}, newest first: who, when, and each field's old and new "
            "value (`custom.<key>` for custom fields, `tags`, `shared_with`). Fields hidden from "
            "you are left out of each entry."
        ),
    )
    def list_history(
        request: HttpRequest, page: Query[PageParams], id: int = RecordId
    ) -> dict[str, Any]:
        actor = request.auth
        instance = get_record(actor=actor, pk=id)
        result = paginate(
            history_list(actor=actor, instance=instance),
            orderings=HISTORY_ORDERINGS,
            ordering="-at",
            default_ordering="-at",
            limit=page.limit,
            cursor=page.cursor,
        )
        items = [history_item(actor, entry) for entry in result.items]
        return {"items": items, "next_cursor": result.next_cursor}


def _add_share_routes(router: Router, *, noun: str, get_record: Callable[..., Any]) -> None:
    @router.get(
        "/{id}/shares",
        response={200: SharePage, **error_responses(404, 422)},
        operation_id=f"list_{noun}_shares",
        url_name=f"{noun}_shares",
        summary=f"Shares of one {noun}",
        description=f"Users and teams the {noun} is explicitly shared with, oldest first.",
    )
    def list_shares(
        request: HttpRequest, page: Query[PageParams], id: int = RecordId
    ) -> dict[str, Any]:
        actor = request.auth
        instance = get_record(actor=actor, pk=id)
        result = paginate(
            identity_selectors.share_list(actor=actor, instance=instance),
            orderings=SHARE_ORDERINGS,
            ordering="created_at",
            default_ordering="created_at",
            limit=page.limit,
            cursor=page.cursor,
        )
        return {"items": result.items, "next_cursor": result.next_cursor}

    @router.post(
        "/{id}/shares",
        response={201: ShareOut, **error_responses(400, 403, 404, 422)},
        operation_id=f"create_{noun}_share",
        summary=f"Share one {noun}",
        description=(
            f"Grant one user or one team access to the {noun} beyond what their roles reach; "
            f"`can_edit` lets them change it too. Needs the edit right on the {noun}. Sharing "
            "again with the same grantee updates `can_edit`."
        ),
    )
    def create_share(request: HttpRequest, payload: ShareCreateIn, id: int = RecordId) -> Status:
        actor = request.auth
        instance = get_record(actor=actor, pk=id)
        share = share_create(actor=actor, instance=instance, **payload.model_dump())
        return Status(201, share)

    @router.delete(
        "/{id}/shares/{share_id}",
        response={204: None, **error_responses(404, 422)},
        operation_id=f"delete_{noun}_share",
        summary=f"Stop sharing one {noun}",
        description=f"Remove one share. Needs the edit right on the {noun}.",
    )
    def delete_share(
        request: HttpRequest,
        id: int = RecordId,
        share_id: int = ShareId,
    ) -> Status:
        actor = request.auth
        instance = get_record(actor=actor, pk=id)
        share = identity_selectors.share_get(actor=actor, instance=instance, pk=share_id)
        share_delete(actor=actor, share=share, instance=instance)
        return Status(204, None)
