"""A second stored full-text vector holding only a project's public-card text.

Outside a members-only project a person sees its card — title, acronym and disease areas — and
nothing of its summary, so the catalogue's search must not match (or count, or rank by) words
of the summary for them: a confidential summary could otherwise be confirmed one guessed word
at a time. The catalogue matches `card_search_vector` for such people and `search_vector` for
those who may read the whole project, in one statement, both through GIN indexes.

The trigger of migration 0006 now writes both columns, so no write path (bulk inserts and
`.update()` of a text column included) can leave either stale. PostgreSQL only, like 0006.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX_NAME = "project_card_search_idx"
WEIGHTED = "setweight(to_tsvector('english'::regconfig, COALESCE({row}{column}, '')), '{weight}')"


def _vector(row: str, columns: tuple[tuple[str, str], ...]) -> str:
    return " || ".join(WEIGHTED.format(row=row, column=c, weight=w) for c, w in columns)


FULL = (("title", "A"), ("acronym", "A"), ("summary", "B"), ("disease_area_names", "C"))
CARD = (("title", "A"), ("acronym", "A"), ("disease_area_names", "C"))


def _trigger(*, with_card: bool) -> str:
    card = f"    NEW.card_search_vector := {_vector('NEW.', CARD)};\n" if with_card else ""
    written = "search_vector, card_search_vector" if with_card else "search_vector"
    return f"""
CREATE OR REPLACE FUNCTION projects_project_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := {_vector("NEW.", FULL)};
{card}    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS projects_project_search_vector ON projects_project;
CREATE TRIGGER projects_project_search_vector
    BEFORE INSERT OR UPDATE OF title, acronym, summary, disease_area_names, {written}
    ON projects_project FOR EACH ROW EXECUTE FUNCTION projects_project_search_vector();
"""


FILL = "UPDATE projects_project SET card_search_vector = " + _vector("", CARD)  # noqa: S608 - constant SQL
CREATE_INDEX = (
    f'CREATE INDEX IF NOT EXISTS "{INDEX_NAME}" ON projects_project USING gin (card_search_vector)'
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(_trigger(with_card=True))
    schema_editor.execute(FILL)
    schema_editor.execute(CREATE_INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX_NAME}"')
    schema_editor.execute(_trigger(with_card=False))


class Migration(migrations.Migration):
    dependencies = [("projects", "0006_project_search_vector")]

    operations = [
        migrations.AddField(
            model_name="project",
            name="card_search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
