"""A GIN index on the catalogue's weighted full-text expression, on PostgreSQL only.

The expression is frozen here as SQL: it must stay identical to
`apps.projects.search.project_search_vector()` for the planner to use the index. SQLite has no
tsvector; the catalogue falls back to substring matching there, so nothing is created.
"""

from django.db import migrations

INDEX_NAME = "project_search_idx"
CREATE_INDEX = (
    f'CREATE INDEX IF NOT EXISTS "{INDEX_NAME}" ON "projects_project" USING gin ('
    "((((setweight(to_tsvector('english'::regconfig, COALESCE(\"title\", '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(\"acronym\", '')), 'A'))"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(\"summary\", '')), 'B'))"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(\"disease_area_names\", '')), 'C'))))"
)
DROP_INDEX = f'DROP INDEX IF EXISTS "{INDEX_NAME}"'


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_project_disease_area_names")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
