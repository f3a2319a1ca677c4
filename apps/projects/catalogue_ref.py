"""The catalogue's reference as SQL: its version (bumped with every project's,
`content_versions.CATALOGUE_ID`) and whether this transaction has uncommitted writes to any
project. A statement that runs anyway (the signed-in person's, a token's, the unread digest)
reads them beside its own columns, so a list cached under the catalogue version costs no
round trip of its own. Imports models only: the person's and the token's loaders use it."""

from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, BooleanField
from django.db.models.expressions import RawSQL

from apps.projects.content_versions import CATALOGUE_ID
from apps.projects.models import ProjectContentPending, ProjectContentVersion


def _sqlite_pending() -> str:
    """SQLite bumps a version in the writing statement itself, and keeps no record of which
    transaction wrote: inside a transaction, count every project as possibly written (what a
    PostgreSQL transaction that wrote sees), so nothing it renders is read from or stored in
    the cache. Its views run outside transactions (`ATOMIC_REQUESTS` is off)."""
    return "1" if connection.in_atomic_block else "0"


def version_sql() -> tuple[str, list]:
    table = ProjectContentVersion._meta.db_table
    identifier = CATALOGUE_ID if connection.vendor == "postgresql" else CATALOGUE_ID.hex
    return f"(SELECT v.version FROM {table} v WHERE v.project_id = %s)", [identifier]  # noqa: S608


def pending_sql(*, project_column: str = "", compiled_once: bool = False) -> str:
    """Whether this transaction has uncommitted writes to any project, or with
    `project_column` (an SQL column of the enclosing statement) to that project.
    `compiled_once`: the SQL is kept and run again later, so on SQLite (whose answer is
    worked out here, not by the database) it says "pending", which makes its reader ask again
    rather than trust a value from another moment."""
    if connection.vendor == "postgresql":
        narrowed = f" AND q.project_id = {project_column}" if project_column else ""
        return (
            f"EXISTS (SELECT 1 FROM {ProjectContentPending._meta.db_table} q "  # noqa: S608
            f"WHERE q.xact = pg_current_xact_id_if_assigned()::text::bigint{narrowed})"
        )
    return "1" if compiled_once else _sqlite_pending()


def annotations() -> dict[str, RawSQL]:
    """The two values as annotations of a queryset compiled once (`apps.core.compiled`),
    named `catalogue_version_seen` and `catalogue_pending_seen`."""
    version, params = version_sql()
    pending = pending_sql(compiled_once=True)
    # Table names and constants of this module only: no input reaches this SQL.
    return {
        "catalogue_version_seen": RawSQL(version, params, output_field=BigIntegerField()),  # noqa: S611
        "catalogue_pending_seen": RawSQL(pending, [], output_field=BooleanField()),  # noqa: S611
    }
