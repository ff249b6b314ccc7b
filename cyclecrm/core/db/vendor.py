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


def bulk_insert(model: type, rows: list) -> None:
    """Insert unsaved model instances and set their primary keys; call inside a transaction.

    PostgreSQL: `bulk_create` (multi-row INSERT ... RETURNING id). SQLite: Django batches by 999
    variables (20 rows of a wide table per statement), so instead the ids are assigned from the
    table's current maximum (safe: the transaction is IMMEDIATE, SQLite's single writer holds
    the lock from BEGIN) and the rows go through one prepared INSERT with `executemany`.
    """
    if not rows:
        return
    if is_postgresql() or not connection.in_atomic_block:
        model._default_manager.bulk_create(rows)
        return
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if field is not pk]
    table = connection.ops.quote_name(meta.db_table)
    pk_column = connection.ops.quote_name(pk.column)
    with connection.cursor() as cursor:
        # AUTOINCREMENT never reuses an id, not even a deleted one: start past both.
        cursor.execute(
            f"SELECT MAX(COALESCE(MAX({pk_column}), 0), COALESCE("
            f"(SELECT seq FROM sqlite_sequence WHERE name = %s), 0)) FROM {table}",
            [meta.db_table],
        )
        next_id = cursor.fetchone()[0] + 1
        columns = ", ".join([pk_column] + [connection.ops.quote_name(f.column) for f in fields])
        marks = ", ".join(["%s"] * (len(fields) + 1))
        params = []
        for offset, row in enumerate(rows):
            row.pk = next_id + offset
            values = [row.pk]
            values.extend(
                field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields
            )
            params.append(values)
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
