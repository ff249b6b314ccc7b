import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import DateField, Field, Q, QuerySet

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
    adapters = _row_adapters(model)
    table = connection.ops.quote_name(meta.db_table)
    pk_column = connection.ops.quote_name(pk.column)
    with connection.cursor() as cursor:
        next_id = _next_sqlite_id(cursor, meta.db_table, table, pk_column)
        columns = ", ".join([pk_column] + [connection.ops.quote_name(f.column) for f in fields])
        marks = ", ".join(["%s"] * (len(fields) + 1))
        params = []
        for offset, row in enumerate(rows):
            row.pk = next_id + offset
            values = [row.pk]
            values.extend(adapt(row) for adapt in adapters)
            params.append(values)
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def _next_sqlite_id(cursor: Any, name: str, table: str, pk_column: str) -> int:
    """AUTOINCREMENT never reuses an id, not even a deleted one: start past both."""
    cursor.execute(
        f"SELECT MAX(COALESCE(MAX({pk_column}), 0), COALESCE("
        f"(SELECT seq FROM sqlite_sequence WHERE name = %s), 0)) FROM {table}",
        [name],
    )
    return cursor.fetchone()[0] + 1


# Field kinds whose value, when of one of these exact types, is what SQLite stores unchanged
# (Django's get_db_prep_save returns it as is): no per-value Django call needed.
_PASS_THROUGH: dict[str, tuple[type, ...]] = {
    "CharField": (str, type(None)),
    "TextField": (str, type(None)),
    "EmailField": (str, type(None)),
    "SlugField": (str, type(None)),
    "URLField": (str, type(None)),
    "IntegerField": (int, type(None)),
    "BigIntegerField": (int, type(None)),
    "SmallIntegerField": (int, type(None)),
    "PositiveIntegerField": (int, type(None)),
    "PositiveBigIntegerField": (int, type(None)),
    "PositiveSmallIntegerField": (int, type(None)),
    "BooleanField": (bool, type(None)),
}
# Kinds whose adapted value depends only on the value (hashable, few distinct ones per batch:
# the chunk's one timestamp, birth dates): adapted once per distinct value.
_MEMOIZED = {"DateField", "DateTimeField", "DecimalField", "TimeField"}


def _row_adapters(model: type) -> list[Callable[[Any], Any]]:
    """One function per non-pk concrete field: instance -> the value SQLite stores, equal to
    `field.get_db_prep_save(field.pre_save(instance, True), connection)` (the generic path,
    which costs several Django calls per cell and was a fifth of an import's time)."""
    adapters = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        adapters.append(_adapter(field))
    return adapters


def _adapter(field: Any) -> Callable[[Any], Any]:
    def generic(row: Any) -> Any:
        return field.get_db_prep_save(field.pre_save(row, True), connection)

    if _has_pre_save(field) or not type(field).__module__.startswith("django.db.models."):
        return generic
    attname = field.attname
    kind = field.get_internal_type()
    target = field.target_field.get_internal_type() if field.is_relation else kind
    if target in ("AutoField", "BigAutoField", "SmallAutoField"):
        target = "IntegerField"
    plain = _PASS_THROUGH.get(target)
    if plain is not None:
        return _pass_through(field, attname, plain)
    if kind == "JSONField" and field.encoder is None:
        return _json(field, attname)
    if kind in _MEMOIZED:
        return _memoized(field, attname)
    return generic


def _has_pre_save(field: Any) -> bool:
    """Whether `pre_save` may change the value (auto_now dates, files, custom fields)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return True
    if isinstance(field, DateField):
        return False
    return type(field).pre_save is not Field.pre_save


def _pass_through(field: Any, attname: str, plain: tuple[type, ...]) -> Callable[[Any], Any]:
    def adapt(row: Any) -> Any:
        state = row.__dict__
        value = state[attname] if attname in state else getattr(row, attname)
        if value.__class__ in plain:
            return value
        return field.get_db_prep_save(value, connection)

    return adapt


def _json(field: Any, attname: str) -> Callable[[Any], Any]:
    def adapt(row: Any) -> Any:
        value = getattr(row, attname)
        if value.__class__ in (dict, list):
            return json.dumps(value)
        return field.get_db_prep_save(value, connection)

    return adapt


def _memoized(field: Any, attname: str) -> Callable[[Any], Any]:
    seen: dict[Any, Any] = {}

    def adapt(row: Any) -> Any:
        value = getattr(row, attname)
        try:
            return seen[value]
        except KeyError:
            adapted = seen[value] = field.get_db_prep_save(value, connection)
            return adapted
        except TypeError:
            return field.get_db_prep_save(value, connection)

    return adapt
