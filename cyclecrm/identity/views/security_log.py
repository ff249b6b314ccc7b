"""Settings: the security log, filtered and paged by keyset (it grows with every login)."""

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_date

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.pagination import Page, paginate
from cyclecrm.identity import selectors
from cyclecrm.identity.models import SecurityEvent, SecurityEventKind
from cyclecrm.identity.views.common import can_read, render_settings, require
from cyclecrm.web.errors import crm_view

PAGE_SIZE = 50


def _day(value: str, *, next_day: bool = False) -> dt.datetime | None:
    day = parse_date(value) if value else None
    if day is None:
        return None
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return start + dt.timedelta(days=1) if next_day else start


def _page(events: QuerySet[SecurityEvent], cursor: str | None) -> Page:
    return paginate(
        events,
        orderings=selectors.SECURITY_EVENT_ORDERINGS,
        ordering="-at",
        default_ordering="-at",
        limit=PAGE_SIZE,
        cursor=cursor,
    )


@crm_view
def security_log(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, "security_event"))
    params = request.GET
    kind = params.get("kind", "")
    user_id = params.get("user", "")
    filters = {
        "kind": kind if kind in SecurityEventKind.values else None,
        "user_id": int(user_id) if user_id.isdigit() and len(user_id) < 19 else None,
        "username": params.get("username", "").strip()[:150] or None,
        "ip_address": params.get("ip", "").strip()[:45] or None,
        "since": _day(params.get("since", "")),
        "until": _day(params.get("until", ""), next_day=True),
    }
    events = selectors.security_event_list(actor=request.user, **filters)
    try:
        page = _page(events, params.get("cursor") or None)
    except ValidationFailed:  # a cursor edited by hand: start again from the newest
        page = _page(events, None)
    query = params.copy()
    query.pop("cursor", None)
    context = {
        "events": page.items,
        "next_cursor": page.next_cursor,
        "query": query.urlencode(),
        "kinds": SecurityEventKind.choices,
        "params": params,
    }
    return render_settings(request, "identity/security_log.html", context)
