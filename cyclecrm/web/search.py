"""Global search: every record type with a web UI, searched through its own list selector
(so through the permission gate), grouped by type."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.records.config import RecordUI, registered_uis

GROUP_LIMIT = 10
QUERY_MAX = 200
# Counting every match of a common word at a million rows costs more than the page: counts stop
# here and show as "1,000+".
TOTAL_CAP = 1000


@dataclass
class SearchHit:
    record: Any
    url: str
    description: str


@dataclass
class SearchGroup:
    ui: RecordUI
    total: int
    hits: list[SearchHit]
    see_all_url: str

    @property
    def capped(self) -> bool:
        return self.total > TOTAL_CAP

    @property
    def total_label(self) -> str:
        """ "1,234", or "1,000+" once the count stopped at the cap."""
        return f"{TOTAL_CAP:,}+" if self.capped else f"{self.total:,}"


def global_search(*, actor: Any, query: str) -> list[SearchGroup]:
    query = " ".join(query.split())[:QUERY_MAX]
    if not query:
        return []
    groups = []
    rights = access.access_for(actor)
    for ui in registered_uis():
        if rights.level(ui.name, Action.READ) == Level.NONE:
            continue
        matches = ui.list_selector(actor=actor, filters=ui.filters_class(q=query))
        total = matches[: TOTAL_CAP + 1].count()
        rows = matches.order_by(*ui.orderings[ui.default_ordering].order_by())[:GROUP_LIMIT]
        hidden = rights.hidden_fields(ui.name)
        hits = [
            SearchHit(row, ui.url("detail", row.pk), ui.describe(row, ui.search_fields, hidden))
            for row in rows
        ]
        see_all = f"{ui.url('list')}?{urlencode({'q': query})}"
        groups.append(SearchGroup(ui=ui, total=total, hits=hits, see_all_url=see_all))
    return groups
