"""Search indexes for leads: FTS5 trigram tables kept in sync by triggers on
SQLite, pg_trgm GIN indexes on PostgreSQL (docs/adr/0027). The definitions are literal here so
a later change of `leads.filters` cannot rewrite this applied migration."""

from typing import Any

from django.db import migrations

from cyclecrm.core.db import SearchIndex, search_index_create, search_index_drop

INDEXES = (
    SearchIndex("leads_lead", ("first_name", "last_name", "company", "email")),
)


def create(apps: Any, schema_editor: Any) -> None:
    for index in INDEXES:
        search_index_create(schema_editor, index)


def drop(apps: Any, schema_editor: Any) -> None:
    for index in INDEXES:
        search_index_drop(schema_editor, index)


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_form_view")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
