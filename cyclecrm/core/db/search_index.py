"""The indexes behind `search_q`: what each engine builds so a substring search does not scan.

- **SQLite**: an external-content FTS5 table with the `trigram` tokenizer over the searched
  columns (`<table>_search`), kept in sync by three triggers on the table. A quoted phrase of
  three or more characters in `MATCH` finds every row holding it anywhere in one of the columns,
  case-insensitively, from the index alone.
- **PostgreSQL**: one GIN `gin_trgm_ops` index (contrib extension pg_trgm) per searched column,
  on exactly the expression Django's `icontains` compiles to (`UPPER(col::text)`), so the
  portable lookup uses it for both `'x%'` and `'%x%'`.

Migrations call `search_index_create` / `search_index_drop` from `RunPython` with a literal
`SearchIndex`, so a later change of the app's definition cannot rewrite an applied migration.
"""

from dataclasses import dataclass
from typing import Any

TRIGGER_SUFFIXES = ("ai", "ad", "au")


@dataclass(frozen=True)
class SearchIndex:
    """A table's searched text columns (non-null text columns of the model's table)."""

    table: str
    fields: tuple[str, ...]

    @property
    def fts_table(self) -> str:
        return f"{self.table}_search"

    def trigram_index_name(self, field: str) -> str:
        return f"{self.table}_{field}_trgm"[:63]


def search_index_create(schema_editor: Any, index: SearchIndex) -> None:
    """Build `index` for the connection's engine; idempotent, so a migration that remakes
    the table on SQLite (which drops its triggers) can call it again."""
    if schema_editor.connection.vendor == "postgresql":
        _trigram_indexes_create(schema_editor, index)
    elif schema_editor.connection.vendor == "sqlite":
        _fts_table_create(schema_editor, index)


def search_index_drop(schema_editor: Any, index: SearchIndex) -> None:
    quote = schema_editor.connection.ops.quote_name
    if schema_editor.connection.vendor == "postgresql":
        for field in index.fields:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index.trigram_index_name(field))}")
    elif schema_editor.connection.vendor == "sqlite":
        for suffix in TRIGGER_SUFFIXES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(_trigger(index, suffix))}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {quote(index.fts_table)}")


def _trigram_indexes_create(schema_editor: Any, index: SearchIndex) -> None:
    quote = schema_editor.connection.ops.quote_name
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for field in index.fields:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(index.trigram_index_name(field))} "
            f"ON {quote(index.table)} USING GIN ((UPPER(({quote(field)})::text)) gin_trgm_ops)"
        )


def _trigger(index: SearchIndex, suffix: str) -> str:
    return f"{index.fts_table}_{suffix}"


def _fts_table_create(schema_editor: Any, index: SearchIndex) -> None:
    quote = schema_editor.connection.ops.quote_name
    table, fts = quote(index.table), quote(index.fts_table)
    columns = ", ".join(quote(field) for field in index.fields)
    new = ", ".join(f"new.{quote(field)}" for field in index.fields)
    old = ", ".join(f"old.{quote(field)}" for field in index.fields)
    insert = f"INSERT INTO {fts} (rowid, {columns}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {fts} ({fts}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    changed = " OR ".join(f"old.{quote(f)} IS NOT new.{quote(f)}" for f in index.fields)
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({columns}, "
        f"content='{index.table}', content_rowid='id', tokenize='trigram')"
    )
    schema_editor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {quote(_trigger(index, 'ai'))} AFTER INSERT ON {table} "
        f"BEGIN {insert} END"
    )
    schema_editor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {quote(_trigger(index, 'ad'))} AFTER DELETE ON {table} "
        f"BEGIN {delete} END"
    )
    schema_editor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {quote(_trigger(index, 'au'))} AFTER UPDATE OF {columns} "
        f"ON {table} WHEN {changed} BEGIN {delete} {insert} END"
    )
    schema_editor.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
