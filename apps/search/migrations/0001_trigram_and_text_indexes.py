"""The search indexes: pg_trgm for typo tolerance, and a GIN index per searchable kind.

Every index is on an expression of the row's own columns, so PostgreSQL updates it in the
statement that writes the row: a new or renamed item is findable the moment its transaction
commits, and a deleted or hidden one is never found (visibility is the access policy's filter,
applied in the search statement itself, never stored in an index).

- a full-text index on exactly the expression `apps.search.documents.Document` renders for the
  kind's searchable fields (`to_tsvector('english', coalesce(a, '') || ' ' || …)`), so the
  planner matches the two and a prefix query (`eosin:*`) is answered from the index;
- a trigram index (`gin_trgm_ops`) on the kind's title, for `title %> 'astma'` (word
  similarity above pg_trgm's threshold, 0.6), which finds "asthma" from a typo.

Projects keep their own stored vectors (apps/projects migrations 0006, 0007); only trigram
indexes on their card text are added here. PostgreSQL only: on SQLite (`make run`) search
falls back to substring matching and this migration does nothing.
"""

from django.db import migrations

# (table, index name, fields of the full-text document, or None for none)
DOCUMENTS = [
    ("datasets_dataset", "search_dataset_doc", ("title", "description")),
    ("documents_protocol", "search_protocol_doc", ("title", "description")),
    ("projects_biomarker", "search_biomarker_doc", ("name", "stratum", "assay")),
    ("milestones_deliverable", "search_deliverable_doc", ("code", "title", "summary")),
    ("milestones_milestone", "search_milestone_doc", ("title", "description")),
    ("organisations_organisation", "search_organisation_doc", ("name", "description")),
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
    for table, name, fields in DOCUMENTS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON {table} USING gin (({document_sql(fields)}))'
        )
    for table, name, column in TRIGRAMS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON {table} USING gin ({column} gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, *_ in DOCUMENTS + TRIGRAMS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
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
