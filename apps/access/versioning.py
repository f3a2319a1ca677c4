"""Database triggers that bump a person's access version (`access_accessversion`) whenever a
row behind their access facts (`apps.access.facts`) is written — by a service, a
`QuerySet.update()`, `bulk_create`/`bulk_update`, an admin action, raw SQL in a migration or a
psql session: the database does it in the same transaction, so no write path can skip it.

| table (label)                      | bumps                                                    |
|------------------------------------|----------------------------------------------------------|
| organisations.Affiliation          | its person                                               |
| projects.Membership                | its person                                               |
| access.CommitteeMember             | its person                                               |
| access.AccessGrant                 | its person                                               |
| mfa.Authenticator                  | its person (the MFA requirement reads the facts)         |
| projects.Partner                   | everyone currently affiliated to the organisation        |
| organisations.Organisation status  | everyone currently affiliated to it (suspension, approval) |
| access.DataAccessCommittee project | its current seat holders                                  |

A bump draws a new random version rather than adding one, so the version a rolled-back
transaction saw can never come back with different facts behind it.

Installed by migrations (`install()`, `uninstall()` backwards), and again after every migrate:
SQLite rebuilds a table to alter it, which drops its triggers (as `apps.changes.triggers`).
"""

from dataclasses import dataclass

PREFIX = "access_version"
VERSION_TABLE = "access_accessversion"


@dataclass(frozen=True)
class Bump:
    label: str  # app_label.ModelName
    people: str  # SELECT of person ids, the written row as {R}
    update_of: str | None = None  # only UPDATEs that change this column (and no INSERT/DELETE)


def _affiliated(organisation_column: str) -> str:
    return (
        "SELECT af.user_id FROM organisations_affiliation af "
        f"WHERE af.organisation_id = {{R}}.{organisation_column} AND af.ended_at IS NULL"
    )


BUMPS = (
    Bump("organisations.Affiliation", "SELECT {R}.user_id"),
    Bump("projects.Membership", "SELECT {R}.user_id"),
    Bump("access.CommitteeMember", "SELECT {R}.user_id"),
    Bump("access.AccessGrant", "SELECT {R}.user_id"),
    Bump("mfa.Authenticator", "SELECT {R}.user_id"),
    Bump("projects.Partner", _affiliated("organisation_id")),
    Bump("organisations.Organisation", _affiliated("id"), update_of="status"),
    Bump(
        "access.DataAccessCommittee",
        "SELECT cm.user_id FROM access_committeemember cm "
        "WHERE cm.committee_id = {R}.id AND cm.ended_at IS NULL",
        update_of="project_id",
    ),
)

RANDOM = {
    "postgresql": "(floor(random() * 4611686018427387903))::bigint + 1",
    "sqlite": "abs(random() % 4611686018427387903) + 1",
}


def _bump_sql(vendor: str, people: str) -> str:
    # DISTINCT first, then one random draw per person: an upsert may touch a row only once.
    return (
        f"INSERT INTO {VERSION_TABLE} (user_id, version) "
        f"SELECT bumped.user_id, {RANDOM[vendor]} FROM (SELECT DISTINCT p.user_id FROM "
        f"({people}) p WHERE p.user_id IS NOT NULL) bumped WHERE true "
        "ON CONFLICT (user_id) DO UPDATE SET version = excluded.version"
    )


def _people(bump: Bump, rows: list[str]) -> str:
    return " UNION ".join(
        f"SELECT x.user_id FROM ({bump.people}) x".replace("{R}", r) for r in rows
    )


def _table(apps, label: str) -> str:
    app_label, name = label.split(".")
    return apps.get_model(app_label, name)._meta.db_table


def _postgres(bump: Bump, table: str) -> tuple[str, str]:
    function = f"{PREFIX}_{table}"
    trigger = f"{PREFIX}_bump"
    if bump.update_of:
        body = _bump_sql("postgresql", _people(bump, ["NEW", "OLD"])) + ";"
        timing = (
            f'AFTER UPDATE OF "{bump.update_of}" ON "{table}" FOR EACH ROW '
            f'WHEN (OLD."{bump.update_of}" IS DISTINCT FROM NEW."{bump.update_of}")'
        )
    else:
        branches = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}
        body = "\n  ".join(
            f"IF TG_OP = '{op}' THEN {_bump_sql('postgresql', _people(bump, rows))}; END IF;"
            for op, rows in branches.items()
        )
        timing = f'AFTER INSERT OR UPDATE OR DELETE ON "{table}" FOR EACH ROW'
    create = (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"BEGIN\n  {body}\n  RETURN NULL;\nEND\n$body$;\n"
        f'DROP TRIGGER IF EXISTS {trigger} ON "{table}";\n'
        f"CREATE TRIGGER {trigger} {timing} EXECUTE FUNCTION {function}();"
    )
    drop = f'DROP TRIGGER IF EXISTS {trigger} ON "{table}";\nDROP FUNCTION IF EXISTS {function}();'
    return create, drop


def _sqlite(bump: Bump, table: str) -> tuple[list[str], list[str]]:
    if bump.update_of:
        column = bump.update_of
        events = {
            "update": (
                f'AFTER UPDATE OF "{column}" ON "{table}" FOR EACH ROW '
                f'WHEN OLD."{column}" IS NOT NEW."{column}"',
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
        name = f"{PREFIX}_{table}_{event}"
        drops.append(f"DROP TRIGGER IF EXISTS {name}")
        if event in events:
            timing, rows = events[event]
            body = _bump_sql("sqlite", _people(bump, rows))
            creates.append(f"CREATE TRIGGER {name} {timing} BEGIN\n  {body};\nEND")
    return creates, drops


def install(apps, schema_editor) -> None:
    """(Re)create every bump trigger; a migration's RunPython forwards step."""
    vendor = schema_editor.connection.vendor
    for bump in BUMPS:
        table = _table(apps, bump.label)
        if vendor == "postgresql":
            schema_editor.execute(_postgres(bump, table)[0], params=None)
        elif vendor == "sqlite":
            creates, drops = _sqlite(bump, table)
            for sql in drops + creates:
                schema_editor.execute(sql, params=None)
        else:
            raise NotImplementedError(f"No access-version triggers for {vendor}")


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for bump in BUMPS:
        table = _table(apps, bump.label)
        if vendor == "postgresql":
            schema_editor.execute(_postgres(bump, table)[1], params=None)
        elif vendor == "sqlite":
            for sql in _sqlite(bump, table)[1]:
                schema_editor.execute(sql, params=None)


def reinstall_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: put every trigger back (SQLite drops a table's triggers when a migration
    rebuilds it). Idempotent on both vendors."""
    from django.apps import apps as global_apps
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor not in RANDOM:
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if ("access", "0010_access_version_triggers") not in applied:
        return
    with connection.schema_editor() as schema_editor:
        install(global_apps, schema_editor)


def seed_versions(apps, schema_editor) -> None:
    """Give every existing person a random version, so no cache entry written under another
    database's (or an earlier install's) version can match theirs."""
    vendor = schema_editor.connection.vendor
    table = _table(apps, "accounts.User")
    schema_editor.execute(
        f"INSERT INTO {VERSION_TABLE} (user_id, version) SELECT id, {RANDOM[vendor]} "
        f'FROM "{table}" WHERE true ON CONFLICT (user_id) DO NOTHING',
        params=None,
    )
