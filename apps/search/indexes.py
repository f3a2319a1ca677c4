"""The stored search columns of one searchable table, for a kind's own migration: a new
shared kind (`apps.core.kinds`) adds its table's `search_document` and `search_title` columns
and indexes the way migration search/0001 added those of the first kinds. PostgreSQL only."""


def document_sql(fields) -> str:
    joined = " || ' ' || ".join(f"coalesce({name}, '')" for name in fields)
    return f"to_tsvector('english'::regconfig, {joined})"


def add_search_columns(schema_editor, *, table: str, name: str, fields, title: str) -> None:
    """`name`: the index name prefix (`search_<kind>`)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column, source in (("search_document", fields), ("search_title", (title,))):
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} tsvector "
            f"GENERATED ALWAYS AS ({document_sql(source)}) STORED"
        )
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}_{column.removeprefix("search_")}" '
            f"ON {table} USING gin ({column})"
        )
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{name}_trgm" ON {table} USING gin ({title} gin_trgm_ops)'
    )


def drop_search_columns(schema_editor, *, table: str, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{name}_trgm"')
    schema_editor.execute(
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document, "
        "DROP COLUMN IF EXISTS search_title"
    )
