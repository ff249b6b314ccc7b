"""The GIN expression index behind knowledge-base search on PostgreSQL (no-op on SQLite)."""

from django.db import migrations

from cyclecrm.core.db import fulltext_index_create, fulltext_index_drop

INDEX = "support_article_fts_idx"
FIELDS = ("title", "search_text")  # must match selectors.article_search


def create(apps, schema_editor):
    fulltext_index_create(schema_editor, "support_article", FIELDS, INDEX)


def drop(apps, schema_editor):
    fulltext_index_drop(schema_editor, INDEX)


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
