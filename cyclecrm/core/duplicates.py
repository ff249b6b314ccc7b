"""Which fields a unique violation is about, from the database's own error.

Searching the error text for field names misreports: PostgreSQL names the violated constraint
(`contacts_account_external_id_uniq` contains `id` and `account`), not the columns. So the
error is read for what each database states precisely:

- PostgreSQL (psycopg): the violated constraint or unique index name (`diag.constraint_name`);
- SQLite: `UNIQUE constraint failed: table.column[, table.column]`, or `index 'name'` for a
  unique index that is not on plain columns.

A name is matched first against the model's declared unique constraints (no query), then
against the table's actual constraints and indexes through Django's introspection (only on this
error path), which also covers Django's generated names for `unique=True` fields
(`<table>_<column>_key` or `..._<hash>_uniq`) whatever their history.
"""

import re
from collections.abc import Iterator

from django.db import IntegrityError, connections, models

_SQLITE_UNIQUE = re.compile(r"unique constraint failed: (?P<detail>.+)$", re.IGNORECASE)
_SQLITE_INDEX = re.compile(r"^index '(?P<name>[^']+)'$", re.IGNORECASE)


def duplicate_fields(model: type[models.Model], exc: IntegrityError, using: str) -> list[str]:
    """Names of the fields of `model` whose unique constraint `exc` violated (empty when the
    error does not say, or names a constraint the model does not know)."""
    name = _constraint_name(exc)
    if name:
        return _fields_of_constraint(model, name, using)
    columns = _sqlite_columns(model, str(exc))
    return _fields_of_columns(model, columns)


def _constraint_name(exc: IntegrityError) -> str:
    """The violated constraint's name: psycopg's diagnostics, or SQLite's `index '<name>'`."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    match = _SQLITE_UNIQUE.search(str(exc).strip())
    index = _SQLITE_INDEX.match(match["detail"].strip()) if match else None
    return index["name"] if index else ""


def _sqlite_columns(model: type[models.Model], text: str) -> list[str]:
    """The columns of SQLite's `UNIQUE constraint failed: t.a, t.b`, on the model's tables."""
    match = _SQLITE_UNIQUE.search(text.strip())
    if not match:
        return []
    tables = set(_tables(model))
    columns = []
    for item in match["detail"].split(","):
        table, _, column = item.strip().rpartition(".")
        if table in tables and column:
            columns.append(column)
    return columns


def _tables(model: type[models.Model]) -> Iterator[str]:
    """The model's table and those of its concrete parents (multi-table inheritance)."""
    yield model._meta.db_table
    for parent in model._meta.get_parent_list():
        yield parent._meta.db_table


def _fields_of_columns(model: type[models.Model], columns: list[str]) -> list[str]:
    by_column = {field.column: field.name for field in model._meta.concrete_fields}
    return [by_column[column] for column in columns if column in by_column]


def _fields_of_constraint(model: type[models.Model], name: str, using: str) -> list[str]:
    for constraint in model._meta.total_unique_constraints:
        if constraint.name == name:
            return list(constraint.fields)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name == name:
            return list(constraint.fields) or _expression_fields(constraint)
    return _fields_of_columns(model, _introspected_columns(model, name, using))


def _expression_fields(constraint: models.UniqueConstraint) -> list[str]:
    """The fields an expression constraint (e.g. `Lower("email")`) is built on."""
    names: list[str] = []
    for expression in constraint.expressions:
        nodes = expression.flatten() if hasattr(expression, "flatten") else [expression]
        for node in nodes:
            if isinstance(node, models.F) and node.name not in names:
                names.append(node.name)
    return names


def _introspected_columns(model: type[models.Model], name: str, using: str) -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        for table in _tables(model):
            found = connection.introspection.get_constraints(cursor, table).get(name)
            if found and found.get("unique"):
                return [column for column in found.get("columns") or [] if column]
    return []
