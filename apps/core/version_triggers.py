"""What the version-bumping triggers have in common: the per-person access version
(`apps.access.versioning`) and the per-project content version
(`apps.projects.content_versions`) each declare which tables bump which rows of their version
table, and generate triggers from that declaration. The SQL that decides *which* rows to bump,
and how PostgreSQL bumps them, stays in each module; the random draw, the SQLite triggers, the
install and seed steps of their migrations and the reinstall after every migrate are here.
"""

from collections.abc import Callable, Iterable

from django.apps import apps as global_apps
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

# A new random version per bump, never an increment: a version a rolled-back transaction saw
# can never come back with different content behind it.
RANDOM = {
    "postgresql": "(floor(random() * 4611686018427387903))::bigint + 1",
    "sqlite": "abs(random() % 4611686018427387903) + 1",
}


def table_of(apps, label: str) -> str:
    """The table of `app_label.ModelName`, or of `app_label.ModelName.m2m_field`'s link."""
    parts = label.split(".")
    model = apps.get_model(parts[0], parts[1])
    if len(parts) == 3:
        model = model._meta.get_field(parts[2]).remote_field.through
    return model._meta.db_table


def sqlite_triggers(
    prefix: str, table: str, update_of: tuple[str, ...], body: Callable[[list[str]], str]
) -> tuple[list[str], list[str]]:
    """Per-row SQLite triggers on `table` running `body(rows)` (rows: "NEW", "OLD"); with
    `update_of`, only on UPDATEs that change one of those columns. (creates, drops)."""
    if update_of:
        columns = ", ".join(f'"{c}"' for c in update_of)
        changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in update_of)
        events = {
            "update": (
                f'AFTER UPDATE OF {columns} ON "{table}" FOR EACH ROW WHEN {changed}',
                ["NEW", "OLD"],
            )
        }
    else:
        events = {
            "insert": (f'AFTER INSERT ON "{table}" FOR EACH ROW', ["NEW"]),
            "update": (f'AFTER UPDATE ON "{table}" FOR EACH ROW', ["NEW", "OLD"]),
            "delete": (f'AFTER DELETE ON "{table}" FOR EACH ROW', ["OLD"]),
        }
    creates, drops = [], []
    for event in ("insert", "update", "delete"):
        name = f"{prefix}_{table}_{event}"
        drops.append(f"DROP TRIGGER IF EXISTS {name}")
        if event in events:
            timing, rows = events[event]
            creates.append(f"CREATE TRIGGER {name} {timing} BEGIN\n  {body(rows)};\nEND")
    return creates, drops


def install_triggers(
    schema_editor,
    bumps: Iterable[tuple[str, object]],
    postgres: Callable[[object, str], str],
    sqlite: Callable[[object, str], tuple[list[str], list[str]]],
    what: str,
) -> None:
    """(Re)create the triggers of every (table, bump): `postgres(bump, table)` is one script
    that replaces them, `sqlite(bump, table)` their (creates, drops), dropped first."""
    vendor = schema_editor.connection.vendor
    for table, bump in bumps:
        if vendor == "postgresql":
            schema_editor.execute(postgres(bump, table), params=None)
        elif vendor == "sqlite":
            creates, drops = sqlite(bump, table)
            for sql in drops + creates:
                schema_editor.execute(sql, params=None)
        else:
            raise NotImplementedError(f"No {what} triggers for {vendor}")


def uninstall_triggers(
    schema_editor,
    bumps: Iterable[tuple[str, object]],
    postgres: Callable[[object, str], str],
    sqlite: Callable[[object, str], list[str]],
) -> None:
    vendor = schema_editor.connection.vendor
    for table, bump in bumps:
        if vendor == "postgresql":
            schema_editor.execute(postgres(bump, table), params=None)
        elif vendor == "sqlite":
            for sql in sqlite(bump, table):
                schema_editor.execute(sql, params=None)


def reinstall_after_migrate(using: str, installed_by: tuple[str, str], install) -> None:
    """For a post_migrate receiver: run `install(apps, schema_editor)` again once the migration
    `installed_by` is applied (SQLite drops a table's triggers when a migration rebuilds it).
    Idempotent on both vendors."""
    connection = connections[using]
    if connection.vendor not in RANDOM:
        return
    if installed_by not in MigrationRecorder(connection).applied_migrations():
        return
    with connection.schema_editor() as schema_editor:
        install(global_apps, schema_editor)


def seed_versions(schema_editor, version_table: str, key: str, source_table: str) -> None:
    """Give every row of `source_table` a random version under `key`, so no cache entry
    written under another database's (or an earlier install's) version can match theirs."""
    vendor = schema_editor.connection.vendor
    schema_editor.execute(
        f"INSERT INTO {version_table} ({key}, version) SELECT id, {RANDOM[vendor]} "
        f'FROM "{source_table}" WHERE true ON CONFLICT ({key}) DO NOTHING',
        params=None,
    )
