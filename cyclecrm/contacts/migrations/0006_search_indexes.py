"""Search indexes for contacts and accounts: FTS5 trigram tables kept in sync by triggers on
SQLite, pg_trgm GIN indexes on PostgreSQL (docs/adr/0027). The definitions are literal here so
a later change of `contacts.filters` cannot rewrite this applied migration."""

from typing import Any

from django.db import migrations

from cyclecrm.core.db import SearchIndex, search_index_create, search_index_drop

INDEXES = (
    SearchIndex("contacts_contact", ("first_name", "last_name", "email", "phone", "mobile")),
    SearchIndex("contacts_account", ("name", "domain")),
)


def create(apps: Any, schema_editor: Any) -> None:
    for index in INDEXES:
        search_index_create(schema_editor, index)


def drop(apps: Any, schema_editor: Any) -> None:
    for index in INDEXES:
        search_index_drop(schema_editor, index)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_contact_country_city_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
