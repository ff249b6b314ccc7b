"""Text search over a few columns.

Each whitespace-separated term must match at least one of the fields: a term matches a field
by prefix (`istartswith`, which can use an index) or, when `substring=True`, anywhere in it.
Both engines run the same portable SQL today; a vendor-specific index (FTS5, pg_trgm) can
replace it here without touching callers.
"""

from collections.abc import Sequence

from django.db.models import Q

MAX_TERMS = 6


def search_q(query: str, fields: Sequence[str], *, substring: bool = True) -> Q:
    lookup = "icontains" if substring else "istartswith"
    condition = Q()
    for term in query.split()[:MAX_TERMS]:
        term_q = Q()
        for field in fields:
            term_q |= Q(**{f"{field}__{lookup}": term})
        condition &= term_q
    return condition
