"""Make analyses searchable (stored full-text columns, as search/0001 did for the first
kinds) and captured by the change feed (the triggers are regenerated from the registry, which
now declares the analysis kind)."""

from django.db import migrations

from apps.changes import triggers
from apps.search.indexes import add_search_columns, drop_search_columns

TABLE = "analyses_analysis"
NAME = "search_analysis"


def search_forwards(apps, schema_editor):
    add_search_columns(
        schema_editor, table=TABLE, name=NAME, fields=("title", "description"), title="title"
    )


def search_backwards(apps, schema_editor):
    drop_search_columns(schema_editor, table=TABLE, name=NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("analyses", "0001_initial"),
        ("search", "0001_trigram_and_text_indexes"),
        ("changes", "0006_project_card_clock"),
    ]

    operations = [
        migrations.RunPython(search_forwards, search_backwards, elidable=False),
        # Backwards: nothing to undo here; unapplying 0001 drops the tables with their triggers
        # (the app is being removed, and the registry with it).
        migrations.RunPython(triggers.install, migrations.RunPython.noop, elidable=False),
    ]
