"""Text search over a few columns.

Each whitespace-separated term must match at least one of the fields: a term matches a field
by prefix (`istartswith`, which can use an index) or, when `substring=True`, anywhere in it.
Both engines run the same portable SQL today; a vendor-specific index (FTS5, pg_trgm) can
replace it here without touching callers.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from cyclecrm.core.db.vendor import is_postgresql

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


# -- full-text search ---------------------------------------------------------------------------
#
# PostgreSQL matches `to_tsvector(config, col1 || ' ' || col2 ...)` against
# `websearch_to_tsquery(config, query)` (quoted phrases, `or`, `-word`) and ranks with ts_rank;
# `fulltext_index_create` builds the GIN expression index the match uses. SQLite has no built-in
# equivalent without an FTS5 shadow table kept in sync, so it falls back to the portable
# every-word-must-appear match above, ranking title hits first (see docs/adr/0008).

FULLTEXT_CONFIG = "english"


def _document_sql(table: str, fields: Sequence[str], *, qualified: bool) -> str:
    quote = connection.ops.quote_name
    columns = (
        f"coalesce({quote(table) + '.' if qualified else ''}{quote(name)}, '')" for name in fields
    )
    return f"to_tsvector('{FULLTEXT_CONFIG}', " + " || ' ' || ".join(columns) + ")"


def fulltext_search(
    queryset: QuerySet, query: str, fields: Sequence[str], *, title_field: str | None = None
) -> QuerySet:
    """Rows of `queryset` matching `query` in the text columns `fields`, annotated with
    `search_rank` (higher is better). Order by it for a ranked result."""
    if not query.strip():
        return queryset.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    if is_postgresql():
        table = queryset.model._meta.db_table
        vector = _document_sql(table, fields, qualified=True)
        tsquery = f"websearch_to_tsquery('{FULLTEXT_CONFIG}', %s)"
        return queryset.filter(
            RawSQL(f"{vector} @@ {tsquery}", [query], output_field=BooleanField())
        ).annotate(search_rank=RawSQL(f"ts_rank({vector}, {tsquery})", [query]))
    rank: Any = Value(1.0)
    if title_field:
        rank = Case(
            When(search_q(query, [title_field]), then=Value(2.0)),
            default=Value(1.0),
            output_field=FloatField(),
        )
    return queryset.filter(search_q(query, fields)).annotate(search_rank=rank)


def fulltext_index_create(schema_editor: Any, table: str, fields: Sequence[str], name: str) -> None:
    """Create the index `fulltext_search` uses (PostgreSQL only; a no-op elsewhere). Call it
    from a migration's RunPython with the same `fields`."""
    if schema_editor.connection.vendor != "postgresql":
        return
    document = _document_sql(table, fields, qualified=False)
    quote = schema_editor.connection.ops.quote_name
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} USING GIN ({document})"
    )


def fulltext_index_drop(schema_editor: Any, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.connection.ops.quote_name(name)}")
