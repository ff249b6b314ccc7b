"""Query plans for tests that check an index serves a query, on either database."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet


def query_plan(
    query: QuerySet | str, params: Sequence[Any] = (), *, disable: Iterable[str] = ()
) -> str:
    """The plan as text: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN lines.

    A test table holds a handful of rows, for which PostgreSQL rightly prefers a sequential
    scan; `disable` names planner settings (`enable_seqscan`, `enable_sort`, ...) turned off
    for the transaction so the plan shows whether an index *can* serve the query.
    """
    if isinstance(query, QuerySet):
        query, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {query}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        for setting in disable:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {query}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
