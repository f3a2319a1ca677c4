"""The search indexes: stored full-text vectors per searchable kind, and pg_trgm for typos.

Each searchable table gets two STORED GENERATED columns, which PostgreSQL computes in the very
statement that writes the row (no trigger, no application code can forget them), and a GIN
index on each:

- `search_document`: `to_tsvector('english', coalesce(a, '') || ' ' || …)` over the kind's
  searchable fields (`apps.search.selectors.KINDS`), matched by a prefix query (`eosin:*`);
- `search_title`: the same over the title alone, which ranks title matches above the rest.

A new or renamed item is findable the moment its transaction commits, and visibility is never
stored: it is the access policy's filter, applied in the search statement itself. Parsing text
once, when a row is written, instead of for every matched row of every search, is what keeps a
search with facets cheap (a first version with expression indexes parsed 1,458 datasets per
statement: 380 ms at scale m). The columns are not model fields: Django never selects or
writes them, and `apps.search.documents.StoredVector` names them in queries.

A trigram index (`gin_trgm_ops`) on each title serves `title %> 'astma'` (word similarity
above the threshold the search sets, 0.45), which finds "asthma" from a typo. Projects keep
their own stored vectors (apps/projects migrations 0006, 0007); only trigram indexes on their
card text are added here. PostgreSQL only: on SQLite (`make run`) search falls back to
substring matching and this migration does nothing.
"""

from django.db import migrations

# (table, index name prefix, fields of the full-text document, title field)
DOCUMENTS = [
    ("datasets_dataset", "search_dataset", ("title", "description"), "title"),
    ("documents_protocol", "search_protocol", ("title", "description"), "title"),
    ("projects_biomarker", "search_biomarker", ("name", "stratum", "assay"), "name"),
    ("milestones_deliverable", "search_deliverable", ("code", "title", "summary"), "title"),
    ("milestones_milestone", "search_milestone", ("title", "description"), "title"),
    ("organisations_organisation", "search_organisation", ("name", "description"), "name"),
]
TRIGRAMS = [
    ("datasets_dataset", "search_dataset_trgm", "title"),
    ("documents_protocol", "search_protocol_trgm", "title"),
    ("projects_biomarker", "search_biomarker_trgm", "name"),
    ("milestones_deliverable", "search_deliverable_trgm", "title"),
    ("milestones_milestone", "search_milestone_trgm", "title"),
    ("organisations_organisation", "search_organisation_trgm", "name"),
    ("projects_project", "search_project_title_trgm", "title"),
    ("projects_project", "search_project_areas_trgm", "disease_area_names"),
]


def document_sql(fields) -> str:
    joined = " || ' ' || ".join(f"coalesce({name}, '')" for name in fields)
    return f"to_tsvector('english'::regconfig, {joined})"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name, fields, title in DOCUMENTS:
        for column, source in (("search_document", fields), ("search_title", (title,))):
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} tsvector "
                f"GENERATED ALWAYS AS ({document_sql(source)}) STORED"
            )
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}_{column.removeprefix("search_")}" '
                f"ON {table} USING gin ({column})"
            )
    for table, name, column in TRIGRAMS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON {table} USING gin ({column} gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _column in TRIGRAMS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    for table, *_ in DOCUMENTS:
        # Dropping a column drops its index.
        schema_editor.execute(
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document, "
            "DROP COLUMN IF EXISTS search_title"
        )
    # The extension stays: other databases objects may have come to rely on it.


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0005_plain_duo_term_summaries"),
        ("documents", "0002_protocolversion_immutable_trigger"),
        ("projects", "0009_fill_project_card_updated_at"),
        ("milestones", "0001_initial"),
        ("organisations", "0003_affiliation_data_steward_role"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
