"""The database guard of approved analysis versions (`apps.core.version_guard`), as protocol
versions have had since documents/0002: an approved version never changes except to become
superseded and is never deleted; a superseded one never changes."""

from django.db import migrations

from apps.core import version_guard

TABLE = "analyses_analysisversion"


def create_guard(apps, schema_editor):
    version_guard.install(
        schema_editor, table=TABLE, item_column="analysis_id", label="analysis version"
    )


def drop_guard(apps, schema_editor):
    version_guard.remove(schema_editor, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [("analyses", "0002_search_columns_and_feed_capture")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
