"""Database triggers that write the change feed: whatever writes a row — a service, a
`QuerySet.update()`, `bulk_create`/`bulk_update`, an admin action, raw SQL in a data migration
or a psql session — the database records the entry in the same transaction. Nothing depends
on `post_save`.

The triggers are generated from `apps.changes.registry.captures()` for the connection's vendor:
PostgreSQL gets one PL/pgSQL function and one AFTER … FOR EACH ROW trigger per table; SQLite
(`make run`) gets one AFTER trigger per table and event. Migrations call `install()` (and
`uninstall()` backwards); a change to the registry ships with a migration that calls
`install()` again, which replaces every trigger.

Each entry also names its cause — the written row's table, id and image before the write —
so the reader can ask the policy who could see the object before (see `selectors`).
"""

import json
import re

from apps.changes.registry import Capture, Emit, captures
from apps.core import version_triggers
from apps.core.kinds import shared_kinds

EVENTS = ("INSERT", "UPDATE", "DELETE")
OP = {"INSERT": "I", "UPDATE": "U", "DELETE": "D"}
ENTRY_TABLE = "api_changeentry"
ENTRY_COLUMNS = (
    "occurred_at, resource, object_id, kind, project_id, audience_user_id, "
    "audience_organisation_id, cause_table, cause_id, cause_op, cause_before"
)
PREFIX = "changes_capture"


def _table_and_columns(apps, label: str) -> tuple[str, list[str]]:
    parts = label.split(".")
    model = apps.get_model(parts[0], parts[1])
    if len(parts) == 3:
        model = model._meta.get_field(parts[2]).remote_field.through
    return model._meta.db_table, [f.column for f in model._meta.concrete_fields]


class Dialect:
    vendor = ""

    def changed(self, column: str) -> str:
        raise NotImplementedError

    def image(self, row: str, columns: list[str]) -> str:
        raise NotImplementedError

    def as_text(self, expression: str) -> str:
        raise NotImplementedError

    now = ""


class Postgres(Dialect):
    vendor = "postgresql"
    now = "clock_timestamp()"

    def changed(self, column):
        return f'(NEW."{column}" IS DISTINCT FROM OLD."{column}")'

    def image(self, row, columns):
        return f"to_jsonb({row})"

    def as_text(self, expression):
        return f"({expression})::text"

    def patched(self, image: str, overrides: dict) -> str:
        return f"({image} || '{_sql_string(json.dumps(overrides))}'::jsonb)"


class Sqlite(Dialect):
    vendor = "sqlite"
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"

    def changed(self, column):
        return f'(NEW."{column}" IS NOT OLD."{column}")'

    def image(self, row, columns):
        pairs = ", ".join(f"'{c}', {row}.\"{c}\"" for c in columns)
        return f"json_object({pairs})"

    def as_text(self, expression):
        return f"CAST({expression} AS TEXT)"

    def patched(self, image: str, overrides: dict) -> str:
        return f"json_patch({image}, '{_sql_string(json.dumps(overrides))}')"


DIALECTS = {"postgresql": Postgres(), "sqlite": Sqlite()}


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


_CHANGED = re.compile(r"\{changed:([a-z_]+)\}")


def _fill(sql: str, row: str, dialect: Dialect, *, event: str) -> str:
    if event == "UPDATE":
        sql = _CHANGED.sub(lambda m: dialect.changed(m.group(1)), sql)
    else:  # Only UPDATEs compare columns; a time end is a change of state by definition.
        sql = _CHANGED.sub("TRUE" if dialect.vendor == "postgresql" else "1", sql)
    return sql.replace("{R}", row)


def statement(
    emit: Emit, *, table: str, row: str, event: str, op: str, before: str, dialect: Dialect
) -> str:
    """INSERT INTO the feed … SELECT the emit's rows, with the cause columns."""
    kind = "tombstone" if (emit.tombstone_on_delete and event == "DELETE") else "upsert"
    source = _fill(emit.source, row, dialect, event=event)
    select, _, rest = source.partition(",")
    # "SELECT <object id>, <project id> …" → the full column list of an entry.
    object_id = select.removeprefix("SELECT ").strip()
    project_and_rest = rest.strip()
    project, tail = _split_first_expression(project_and_rest)
    user = _fill(emit.user, row, dialect, event=event)
    organisation = _fill(emit.organisation, row, dialect, event=event)
    cause_id = dialect.as_text(f'{row}."id"')
    return (
        f"INSERT INTO {ENTRY_TABLE} ({ENTRY_COLUMNS}) "
        f"SELECT {dialect.now}, '{emit.resource}', {object_id}, '{kind}', {project}, {user}, "
        f"{organisation}, '{table}', {cause_id}, '{op}', {before} {tail}"
    )


def _split_first_expression(text: str) -> tuple[str, str]:
    """('expr', ' FROM … WHERE …') — the first SQL expression, parentheses respected."""
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text[index:].upper().startswith((" FROM ", " WHERE ")):
            return text[:index].strip(), text[index:]
    return text.strip(), ""


def _statements(capture: Capture, apps, dialect: Dialect, event: str) -> list[str]:
    table, columns = _table_and_columns(apps, capture.label)
    row = "OLD" if event == "DELETE" else "NEW"
    before = "NULL" if event == "INSERT" else dialect.image("OLD", columns)
    return [
        statement(
            e, table=table, row=row, event=event, op=OP[event], before=before, dialect=dialect
        )
        for e in capture.emits
        if event in e.events
    ]


# --- PostgreSQL ------------------------------------------------------------------------------------
def _postgres_sql(capture: Capture, apps) -> tuple[str, str]:
    dialect = DIALECTS["postgresql"]
    table, _ = _table_and_columns(apps, capture.label)
    function = f"{PREFIX}_{table}"
    branches = []
    for event in EVENTS:
        body = ";\n    ".join(_statements(capture, apps, dialect, event))
        if body:
            branches.append(f"IF TG_OP = '{event}' THEN\n    {body};\n  END IF;")
    create = (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n  " + "\n  ".join(branches) + "\n  RETURN NULL;\nEND\n$body$;\n"
        f'DROP TRIGGER IF EXISTS {PREFIX} ON "{table}";\n'
        f'CREATE TRIGGER {PREFIX} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {function}();"
    )
    drop = f'DROP TRIGGER IF EXISTS {PREFIX} ON "{table}";\nDROP FUNCTION IF EXISTS {function}();'
    return create, drop


# --- SQLite ----------------------------------------------------------------------------------------
def _sqlite_sql(capture: Capture, apps) -> tuple[list[str], list[str]]:
    dialect = DIALECTS["sqlite"]
    table, _ = _table_and_columns(apps, capture.label)
    creates, drops = [], []
    for event in EVENTS:
        statements = _statements(capture, apps, dialect, event)
        name = f"{PREFIX}_{table}_{event.lower()}"
        drops.append(f"DROP TRIGGER IF EXISTS {name}")
        if statements:
            body = ";\n  ".join(statements)
            creates.append(
                f'CREATE TRIGGER {name} AFTER {event} ON "{table}" FOR EACH ROW BEGIN\n  {body};\nEND'
            )
    return creates, drops


def _present(apps) -> list[Capture]:
    """The captures of the tables that exist in `apps` (a migration's historical state): the
    shared kinds whose models are all there. A kind's app reinstalls once it has its tables."""

    def exists(label: str) -> bool:
        try:
            apps.get_model(label)
        except LookupError:
            return False
        return True

    kinds = tuple(k for k in shared_kinds() if all(exists(part.model) for part in k.parts))
    return captures(kinds)


def install(apps, schema_editor) -> None:
    """(Re)create every capture trigger; a migration's RunPython forwards step."""
    version_triggers.install_triggers(
        schema_editor,
        [(capture.label, capture) for capture in _present(apps)],
        lambda capture, _label: _postgres_sql(capture, apps)[0],
        lambda capture, _label: _sqlite_sql(capture, apps),
        "change-capture",
    )


def uninstall(apps, schema_editor) -> None:
    version_triggers.uninstall_triggers(
        schema_editor,
        [(capture.label, capture) for capture in _present(apps)],
        lambda capture, _label: _postgres_sql(capture, apps)[1],
        lambda capture, _label: _sqlite_sql(capture, apps)[1],
    )


# --- Ends by the clock -----------------------------------------------------------------------------
def time_end_statements(apps, connection, label: str, row_id: str, overrides: dict) -> list[str]:
    """The statements an UPDATE of row `row_id` of `label` would run, as op "T" (ended by
    time), with the before-image showing the row still in force (`overrides`)."""
    dialect = DIALECTS[connection.vendor]
    [capture] = [c for c in captures() if c.label == label]
    table, columns = _table_and_columns(apps, label)
    quoted = _sql_string(str(row_id))
    # Scalar access to the row: {R}.col → (SELECT r.col FROM table r WHERE r.id = …).
    statements = []
    image = dialect.patched(dialect.image("r", columns), overrides)
    before = f'(SELECT {image} FROM "{table}" r WHERE r."id" = \'{quoted}\')'
    for emit in capture.emits:
        if "UPDATE" not in emit.events:
            continue
        sql = statement(
            emit, table=table, row="{ROW}", event="TIME", op="T", before=before, dialect=dialect
        )
        statements.append(
            re.sub(
                r'\{ROW\}\."?([a-z_]+)"?',
                lambda m: f'(SELECT r."{m.group(1)}" FROM "{table}" r WHERE r."id" = \'{quoted}\')',
                sql,
            )
        )
    return statements


def reinstall_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: put every trigger back. SQLite rebuilds a table to alter it (create, copy,
    drop, rename), which drops its triggers; a later migration of any captured table would
    otherwise switch capture off on `make run` without a word. Idempotent on both vendors."""
    from django.apps import apps as global_apps
    from django.db import connections

    connection = connections[using]
    if connection.vendor not in DIALECTS:
        return
    from django.db.migrations.recorder import MigrationRecorder

    applied = MigrationRecorder(connection).applied_migrations()
    if ("changes", "0003_capture_triggers") not in applied:
        return  # not installed yet, or migrated back below the install
    with connection.schema_editor() as schema_editor:
        install(global_apps, schema_editor)
        if ("changes", "0006_project_card_clock") in applied:
            install_card_clock(global_apps, schema_editor)


# --- The public card's clock -----------------------------------------------------------------------
# `Project.card_updated_at` moves only when the public card changes, whatever writes it: a
# BEFORE UPDATE trigger on PostgreSQL, an AFTER UPDATE one on SQLite (which cannot assign NEW;
# its triggers do not recurse, so the inner UPDATE does not fire it again), and triggers on the
# disease-area links.
CARD_TRIGGER = "changes_card_clock"


def _card_sql(apps, vendor: str) -> tuple[list[str], list[str]]:
    from apps.projects.models import PUBLIC_CARD_FIELDS

    dialect = DIALECTS[vendor]
    table, _ = _table_and_columns(apps, "projects.Project")
    links, _ = _table_and_columns(apps, "projects.Project.disease_areas")
    changed = " OR ".join(dialect.changed(field) for field in PUBLIC_CARD_FIELDS)
    if vendor == "postgresql":
        creates = [
            f"CREATE OR REPLACE FUNCTION {CARD_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
            "$body$ BEGIN NEW.card_updated_at := clock_timestamp(); RETURN NEW; END $body$;",
            f'DROP TRIGGER IF EXISTS {CARD_TRIGGER} ON "{table}";',
            f'CREATE TRIGGER {CARD_TRIGGER} BEFORE UPDATE ON "{table}" FOR EACH ROW '
            f"WHEN ({changed}) EXECUTE FUNCTION {CARD_TRIGGER}();",
            f"CREATE OR REPLACE FUNCTION {CARD_TRIGGER}_links() RETURNS trigger LANGUAGE plpgsql "
            f'AS $body$ BEGIN UPDATE "{table}" SET card_updated_at = clock_timestamp() '
            "WHERE id = COALESCE(NEW.project_id, OLD.project_id); RETURN NULL; END $body$;",
            f'DROP TRIGGER IF EXISTS {CARD_TRIGGER} ON "{links}";',
            f'CREATE TRIGGER {CARD_TRIGGER} AFTER INSERT OR DELETE ON "{links}" FOR EACH ROW '
            f"EXECUTE FUNCTION {CARD_TRIGGER}_links();",
        ]
        drops = [
            f'DROP TRIGGER IF EXISTS {CARD_TRIGGER} ON "{table}";',
            f'DROP TRIGGER IF EXISTS {CARD_TRIGGER} ON "{links}";',
            f"DROP FUNCTION IF EXISTS {CARD_TRIGGER}();",
            f"DROP FUNCTION IF EXISTS {CARD_TRIGGER}_links();",
        ]
        return creates, drops
    now = dialect.now
    names = [f"{CARD_TRIGGER}_{suffix}" for suffix in ("update", "link_insert", "link_delete")]
    drops = [f"DROP TRIGGER IF EXISTS {name}" for name in names]
    creates = [
        f'CREATE TRIGGER {names[0]} AFTER UPDATE ON "{table}" FOR EACH ROW WHEN ({changed}) '
        f'BEGIN UPDATE "{table}" SET card_updated_at = {now} WHERE id = NEW.id; END',
        f'CREATE TRIGGER {names[1]} AFTER INSERT ON "{links}" FOR EACH ROW '
        f'BEGIN UPDATE "{table}" SET card_updated_at = {now} WHERE id = NEW.project_id; END',
        f'CREATE TRIGGER {names[2]} AFTER DELETE ON "{links}" FOR EACH ROW '
        f'BEGIN UPDATE "{table}" SET card_updated_at = {now} WHERE id = OLD.project_id; END',
    ]
    return creates, drops


def install_card_clock(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor in DIALECTS:
        creates, drops = _card_sql(apps, vendor)
        for sql in drops + creates:
            schema_editor.execute(sql, params=None)


def uninstall_card_clock(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor in DIALECTS:
        for sql in _card_sql(apps, vendor)[1]:
            schema_editor.execute(sql, params=None)
