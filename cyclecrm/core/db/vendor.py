import json

from django.db import connection
from django.db.models import Q, QuerySet

from cyclecrm.core.signals import rows_changed_send


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def json_list_contains(path: str, value: str) -> Q:
    """Rows whose JSON list at `path` (an ORM path such as `custom__colors`) holds `value`.

    PostgreSQL has jsonb containment; SQLite's JSON1 has no containment lookup in Django, so the
    stored list's text is matched against the JSON-encoded element, quotes included, which only
    matches a whole element.
    """
    if is_postgresql():
        return Q(**{f"{path}__contains": [value]})
    return Q(**{f"{path}__icontains": json.dumps(value)})


def lock_skipping_locked(queryset: QuerySet) -> QuerySet:
    """Lock the selected rows for this transaction, skipping rows another worker holds.

    PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so parallel job workers split the due rows
    between them. SQLite has a single writer (IMMEDIATE transactions queue), so plain reads
    inside the transaction are already exclusive."""
    if is_postgresql():
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def upsert_rows(
    model: type, rows: list, *, unique_fields: list[str], update_fields: list[str]
) -> None:
    """Insert `rows` (unsaved model instances) or, where one with the same `unique_fields`
    exists, overwrite only `update_fields` on it: `INSERT ... ON CONFLICT DO UPDATE` on both
    PostgreSQL and SQLite, in batches small enough for SQLite's variable limit."""
    fields_per_row = len(unique_fields) + len(update_fields)
    batch_size = max(1, (999 if not is_postgresql() else 60000) // max(fields_per_row, 1))
    model._default_manager.bulk_create(
        rows,
        batch_size=batch_size,
        update_conflicts=True,
        unique_fields=unique_fields,
        update_fields=update_fields,
    )
    rows_changed_send(model)
