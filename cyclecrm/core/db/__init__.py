"""The only database-vendor-aware code: what differs between SQLite and PostgreSQL.

Everything else in the project writes portable ORM code and calls these helpers where the two
engines need different SQL.
"""

from cyclecrm.core.db.search import (
    fulltext_index_create,
    fulltext_index_drop,
    fulltext_search,
    search_q,
)
from cyclecrm.core.db.search_index import SearchIndex, search_index_create, search_index_drop
from cyclecrm.core.db.vendor import is_postgresql, json_list_contains

__all__ = [
    "SearchIndex",
    "fulltext_index_create",
    "fulltext_index_drop",
    "fulltext_search",
    "is_postgresql",
    "json_list_contains",
    "search_index_create",
    "search_index_drop",
    "search_q",
]
