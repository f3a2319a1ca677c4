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

from apps.core import version_triggers
from apps.core.version_triggers import RANDOM

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
    update_of = (bump.update_of,) if bump.update_of else ()
    return version_triggers.sqlite_triggers(
        PREFIX, table, update_of, lambda rows: _bump_sql("sqlite", _people(bump, rows))
    )


def _tables(apps) -> list[tuple[str, Bump]]:
    return [(version_triggers.table_of(apps, bump.label), bump) for bump in BUMPS]


def install(apps, schema_editor) -> None:
    """(Re)create every bump trigger; a migration's RunPython forwards step."""
    version_triggers.install_triggers(
        schema_editor,
        _tables(apps),
        lambda bump, table: _postgres(bump, table)[0],
        _sqlite,
        "access-version",
    )


def uninstall(apps, schema_editor) -> None:
    version_triggers.uninstall_triggers(
        schema_editor,
        _tables(apps),
        lambda bump, table: _postgres(bump, table)[1],
        lambda bump, table: _sqlite(bump, table)[1],
    )


def reinstall_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: put every trigger back (SQLite drops a table's triggers when a migration
    rebuilds it)."""
    version_triggers.reinstall_after_migrate(
        using, ("access", "0010_access_version_triggers"), install
    )


def seed_versions(apps, schema_editor) -> None:
    """Give every existing person a random version (a migration's RunPython step)."""
    table = version_triggers.table_of(apps, "accounts.User")
    version_triggers.seed_versions(schema_editor, VERSION_TABLE, "user_id", table)
