"""REST endpoints of the advocacy view: advocates ranked by score (keyset pages), one contact's
score with its signals, and queuing a refresh. Thin handlers over the selectors and services."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.advocacy import advocate_selectors as selectors
from cyclecrm.advocacy.advocate_schemas import (
    AdvocateDetailOut,
    AdvocateFiltersIn,
    AdvocateOut,
    RefreshQueuedOut,
)
from cyclecrm.advocacy.advocates import COMPONENTS, require_refresh
from cyclecrm.advocacy.models import AdvocateScore
from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses
from cyclecrm.contacts.models import Contact
from cyclecrm.core.pagination import paginate

advocates_router = Router(tags=["Advocates"])

AdvocatePage = cursor_page(AdvocateOut)


def advocate_body(actor: Any, contact: Contact, row: AdvocateScore | None) -> dict[str, Any]:
    """A contact without a score row scores zero (rows at zero are removed)."""
    return {
        "contact_id": contact.pk,
        "contact_name": selectors.contact_name(actor, contact),
        "account_id": contact.account_id,
        "owner_id": contact.owner_id,
        "score": row.score if row else 0.0,
        **{name: getattr(row, name) if row else 0 for name in COMPONENTS},
        "computed_at": row.computed_at if row else None,
    }


@advocates_router.get(
    "",
    response={200: AdvocatePage, **error_responses(422)},
    operation_id="list_advocates",
    summary="List advocates, best first",
    description="Contacts with an advocacy score above zero that you may read, by score.",
)
def list_advocates(
    request: HttpRequest, page: Query[PageParams], filters: Query[AdvocateFiltersIn]
) -> dict[str, Any]:
    rows = selectors.advocate_list(
        actor=request.auth, filters=selectors.AdvocateFilters(**filters.model_dump())
    )
    result = paginate(
        rows,
        orderings=selectors.ADVOCATE_ORDERINGS,
        ordering=None,
        default_ordering="-score",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [advocate_body(request.auth, row.contact, row) for row in result.items],
        "next_cursor": result.next_cursor,
    }


@advocates_router.post(
    "/refresh",
    response={202: RefreshQueuedOut, **error_responses(403)},
    operation_id="refresh_advocates",
    summary="Recompute every advocacy score",
    description="Queues the job the nightly schedule runs; managers and marketers only.",
)
def refresh_advocates(request: HttpRequest) -> Status:
    from cyclecrm.advocacy.tasks import refresh_advocate_scores

    require_refresh(request.auth)
    result = refresh_advocate_scores()
    return Status(202, {"task_id": str(result.id)})


@advocates_router.get(
    "/{contact_id}",
    response={200: AdvocateDetailOut, **error_responses(404, 422)},
    operation_id="get_advocate",
    summary="One contact's advocacy score and its signals",
    description="A contact you may read; a contact without signals scores zero.",
)
def get_advocate(request: HttpRequest, contact_id: int = RecordId) -> dict[str, Any]:
    detail = selectors.advocate_get(actor=request.auth, contact_id=contact_id)
    body = advocate_body(request.auth, detail.contact, detail.score)
    return {**body, "signals": detail.breakdown}
