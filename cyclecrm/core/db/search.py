"""Text search over a few columns.

Each whitespace-separated term must match at least one of the fields: a term matches a field
by prefix (`istartswith`) or, when `substring=True` (the default), anywhere in it. Pass a
`SearchIndex` instead of bare field names and the engine's index serves the match (see
`search_index.py` and docs/adr/0027): FTS5 trigram `MATCH` on SQLite, pg_trgm GIN indexes on
PostgreSQL. Callers only ever build a `Q`.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

from cyclecrm.core.db.search_index import SearchIndex
from cyclecrm.core.db.vendor import is_postgresql

MAX_TERMS = 6
# FTS5's trigram tokenizer cannot match a term shorter than a trigram: those terms keep the
# portable match (on the rows the longer terms already narrowed down, when there are any).
TRIGRAM = 3
# A search matching more rows than this walks the ordering's index and keeps the first
# matches instead of sorting every match; see `_fts_q`.
SORT_MATCHES_MAX = 50_000


def search_q(query: str, fields: Sequence[str] | SearchIndex, *, substring: bool = True) -> Q:
    terms = query.split()[:MAX_TERMS]
    if isinstance(fields, SearchIndex):
        if substring and connection.vendor == "sqlite":
            return _fts_q(terms, fields)
        fields = fields.fields
    return _portable_q(terms, fields, substring=substring)


def _portable_q(terms: Sequence[str], fields: Sequence[str], *, substring: bool) -> Q:
    lookup = "icontains" if substring else "istartswith"
    condition = Q()
    for term in terms:
        term_q = Q()
        for field in fields:
            term_q |= Q(**{f"{field}__{lookup}": term})
        condition &= term_q
    return condition


def _fts_q(terms: Sequence[str], index: SearchIndex) -> Q:
    """SQLite: `id IN (SELECT rowid FROM <table>_search WHERE ... MATCH '"t1" AND "t2"')`.

    How SQLite should join it with `ORDER BY <ordering> LIMIT n` depends on how many rows
    match, which the planner cannot know: few matches are best looked up by id and sorted,
    many are best found by walking the ordering's index and stopping after n. A count capped
    at SORT_MATCHES_MAX (it reads at most that many doclist entries) decides; for many
    matches `id + 0` keeps SQLite from driving the join by id.
    """
    long_terms = [term for term in terms if len(term) >= TRIGRAM]
    condition = _portable_q(
        [term for term in terms if len(term) < TRIGRAM], index.fields, substring=True
    )
    if not long_terms:
        return condition
    match = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
    fts = connection.ops.quote_name(index.fts_table)
    matches = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({matches} LIMIT {SORT_MATCHES_MAX + 1})", [match])
        many = cursor.fetchone()[0] > SORT_MATCHES_MAX
    key: Any = F("pk") + 0 if many else F("pk")
    return condition & Q(In(key, RawSQL(matches, [match])))


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
