"""REST endpoint of the security log: thin handlers over identity.selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.schemas import MAX_ID, Instant, cursor_page, error_responses
from cyclecrm.identity import selectors
from cyclecrm.identity.models import SecurityEventKind
from cyclecrm.identity.schemas import SecurityEventOut

security_events_router = Router(tags=["security log"])

SecurityEventOrdering = Literal[tuple(selectors.SECURITY_EVENT_ORDERINGS)]
KindFilter = Literal[tuple(SecurityEventKind.values)]
UserIdFilter = Query(None, ge=1, le=MAX_ID, description="Events of this account.")
UsernameFilter = Query(None, max_length=150, description="The user name as typed or stored.")
AddressFilter = Query(None, max_length=45, description="Client IP address.")


@security_events_router.get(
    "",
    response={200: cursor_page(SecurityEventOut), **error_responses(403, 422)},
    operation_id="list_security_events",
    summary="List security events",
    description=(
        "Logins, failed logins, lock-outs and unlocks, logouts, second-factor changes, "
        "password changes and rights changes (roles, teams, role permissions, shares), each "
        "with the client address and user agent. Newest first by default. Needs the read "
        "right on `security_event` (administrators). Pages are keyset-based: pass "
        "`next_cursor` back as `cursor`."
    ),
)
def list_security_events(
    request: HttpRequest,
    page: Query[PageParams],
    kind: KindFilter | None = None,
    user_id: int | None = UserIdFilter,
    username: str | None = UsernameFilter,
    ip_address: str | None = AddressFilter,
    since: Instant | None = None,
    until: Instant | None = None,
    ordering: SecurityEventOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    events = selectors.security_event_list(
        actor=actor,
        kind=kind,
        user_id=user_id,
        username=username,
        ip_address=ip_address,
        since=since,
        until=until,
    )
    return page_body(
        actor,
        events,
        SecurityEventOut,
        page=page,
        orderings=selectors.SECURITY_EVENT_ORDERINGS,
        ordering=ordering,
        default_ordering="-at",
    )
