"""Database triggers that bump a project's content version (`projects_projectcontentversion`)
whenever a row the cached parts of its page show is written — by a service, a
`QuerySet.update()`, `bulk_create`/`bulk_update`, an admin action, raw SQL in a migration or a
psql session: the database does it in the same transaction, so no write path can skip it
(issue 16, "pages from versioned fragments"; the cache is `apps.projects.page_cache`).

The same pattern as the per-person access version (`apps.access.versioning`): one declared list
of (table, the SELECT of the project ids a written row concerns, `{R}` standing for the row),
triggers generated from it, a new random version per bump (so a version a rolled-back
transaction saw never comes back with other content behind it), installed by a migration and
again after every migrate (SQLite rebuilds a table to alter it, which drops its triggers).

- PostgreSQL: statement-level triggers over transition tables (a bulk write of 100,000 rows
  pays one statement per project, not one per row) note the projects in
  `projects_projectcontentpending` for the writing transaction; a deferred constraint trigger
  turns them into new versions as that transaction commits. Bumping the version row directly
  would lock it from the write to the commit, so a long transaction (an import) would hold
  back every other write in its project; this way the lock lasts only the commit. Until then
  the transaction's own reads see its pending rows, and `page_cache` neither reads nor stores
  a fragment for a project with writes not yet in a version.
- SQLite: per-row triggers bump the version at once (one writer at a time, so nothing waits).

`tests/projects/test_page_cache.py` renders the project page with the cache off, collects every
table its cached parts read, and fails unless each is declared here or exempted there with a
reason — so a new section that reads a new table cannot be cached without being covered.
"""

from dataclasses import dataclass
from uuid import UUID

from apps.core import version_triggers
from apps.core.version_triggers import RANDOM, table_of

PREFIX = "project_content"
VERSION_TABLE = "projects_projectcontentversion"


@dataclass(frozen=True)
class Bump:
    label: str  # app_label.ModelName, or app_label.ModelName.m2m_field for a link table
    projects: str  # SELECT of project ids, the written row as {R}
    update_of: tuple[str, ...] = ()  # only UPDATEs that change these columns (no INSERT/DELETE)


def _via(table: str, column: str) -> str:
    """The project of the parent row `{R}.<column>` points at in `table`."""
    return f"SELECT t.project_id FROM {table} t WHERE t.id = {{R}}.{column}"


def _via2(table: str, column: str, parent: str, parent_column: str) -> str:
    """The project of the grandparent: `{R}.<column>` → `table`, whose `parent_column` →
    `parent`."""
    return (
        f"SELECT g.project_id FROM {table} t JOIN {parent} g ON g.id = t.{parent_column} "
        f"WHERE t.id = {{R}}.{column}"
    )


# Where the page names an organisation: partners, funders, members' and committee members'
# organisations, work-package leads, biomarkers' diagnostic partners, milestone owners,
# deliverable leads, dataset stewards, the named organisations of restricted rows.
_ORGANISATION_PROJECTS = " UNION ".join(
    [
        "SELECT x.project_id FROM projects_partner x WHERE x.organisation_id = {R}.id",
        "SELECT x.project_id FROM projects_projectfunder x WHERE x.organisation_id = {R}.id",
        "SELECT x.project_id FROM projects_membership x WHERE x.organisation_id = {R}.id",
        "SELECT c.project_id FROM access_committeemember x JOIN access_dataaccesscommittee c "
        "ON c.id = x.committee_id WHERE x.organisation_id = {R}.id",
        "SELECT x.project_id FROM projects_biomarker x WHERE x.diagnostic_partner_id = {R}.id",
        "SELECT w.project_id FROM projects_workpackage_lead_organisations x "
        "JOIN projects_workpackage w ON w.id = x.workpackage_id WHERE x.organisation_id = {R}.id",
        "SELECT x.project_id FROM milestones_milestone x WHERE x.owner_organisation_id = {R}.id",
        "SELECT x.project_id FROM milestones_deliverable x WHERE x.lead_organisation_id = {R}.id",
        "SELECT x.project_id FROM datasets_dataset x WHERE x.steward_organisation_id = {R}.id",
    ]
)

# Where the page names a person: members, committee seats, work-package members, milestone
# owners, deliverable authors, reviewers and approvers.
_PERSON_PROJECTS = " UNION ".join(
    [
        "SELECT x.project_id FROM projects_membership x WHERE x.user_id = {R}.id",
        "SELECT c.project_id FROM access_committeemember x JOIN access_dataaccesscommittee c "
        "ON c.id = x.committee_id WHERE x.user_id = {R}.id",
        "SELECT w.project_id FROM projects_workpackage_members x "
        "JOIN projects_workpackage w ON w.id = x.workpackage_id WHERE x.user_id = {R}.id",
        "SELECT x.project_id FROM milestones_milestone x WHERE x.owner_id = {R}.id",
        "SELECT x.project_id FROM milestones_deliverable x WHERE {R}.id IN "
        "(x.author_id, x.reviewer_id, x.approver_id)",
    ]
)
# The columns of a person the page shows (`display_name`, `get_full_name`, e-mail fallback);
# sign-ins (`last_login`) and the like must not bump every project a person is in.
# The search's people (`apps.search.selectors._people`) are the active ones: a deactivated
# person leaves cached results as their name would.
PERSON_SHOWN = ("first_name", "last_name", "email", "is_active")

_OWN = "SELECT {R}.project_id"

BUMPS = (
    Bump("projects.Project", "SELECT {R}.id AS project_id"),
    Bump("projects.Project.disease_areas", _OWN),
    Bump(
        "diseases.DiseaseArea",
        "SELECT x.project_id FROM projects_project_disease_areas x WHERE x.diseasearea_id = {R}.id"
        # And the catalogue, whatever the area: moving an area in the tree changes which
        # projects a filter by its ancestors finds, though no project names the area itself.
        " UNION SELECT {CATALOGUE}",
    ),
    Bump("projects.ProjectFunder", _OWN),
    Bump("projects.Partner", _OWN),
    Bump("projects.Membership", _OWN),
    Bump("projects.WorkPackage", _OWN),
    Bump("projects.WorkPackage.lead_organisations", _via("projects_workpackage", "workpackage_id")),
    Bump("projects.WorkPackage.members", _via("projects_workpackage", "workpackage_id")),
    Bump("projects.Biomarker", _OWN),
    Bump("documents.Protocol", _OWN),
    Bump("documents.ProtocolVersion", _via("documents_protocol", "protocol_id")),
    Bump("documents.Protocol.allowed_organisations", _via("documents_protocol", "protocol_id")),
    Bump("datasets.Dataset", _OWN),
    Bump("datasets.Dataset.allowed_organisations", _via("datasets_dataset", "dataset_id")),
    # A dataset's files are in the API's dataset list (cached under the catalogue version).
    Bump("datasets.DatasetFile", _via("datasets_dataset", "dataset_id")),
    Bump("analyses.Analysis", _OWN),
    Bump("analyses.AnalysisVersion", _via("analyses_analysis", "analysis_id")),
    Bump("analyses.Analysis.allowed_organisations", _via("analyses_analysis", "analysis_id")),
    # Read for the viewer's own standing (their access facts are in the key too), but also
    # wherever a rule compares other people's organisations: covered rather than argued.
    Bump(
        "organisations.Affiliation",
        "SELECT x.project_id FROM projects_partner x WHERE x.organisation_id = {R}.organisation_id",
    ),
    Bump("access.AccessGrant", _via("datasets_dataset", "dataset_id")),
    Bump("access.DataAccessCommittee", _OWN),
    Bump("access.CommitteeMember", _via("access_dataaccesscommittee", "committee_id")),
    Bump("access.AccessRequest", _via("datasets_dataset", "dataset_id")),
    Bump(
        "access.CommitteeVote",
        _via2("access_accessrequest", "request_id", "datasets_dataset", "dataset_id"),
    ),
    Bump(
        "access.DeclaredConflict",
        _via2("access_accessrequest", "request_id", "datasets_dataset", "dataset_id"),
    ),
    # Targets of notifications (the header's unread count, cached under the catalogue).
    Bump(
        "access.RequestReview",
        _via2("access_accessrequest", "request_id", "datasets_dataset", "dataset_id"),
    ),
    Bump(
        "access.RequestMessage",
        _via2("access_accessrequest", "request_id", "datasets_dataset", "dataset_id"),
    ),
    Bump("milestones.Milestone", _OWN),
    Bump("milestones.MilestoneChange", _via("milestones_milestone", "milestone_id")),
    Bump("milestones.Deliverable", _OWN),
    Bump(
        "organisations.Organisation",
        # And the catalogue, whatever the organisation: the search finds organisations that
        # take part in no project yet, and names every organisation it counts in its facets.
        _ORGANISATION_PROJECTS + " UNION SELECT {CATALOGUE}",
    ),
    Bump("accounts.User", _PERSON_PROJECTS, update_of=PERSON_SHOWN),
)

# The catalogue: the version row of no project, bumped with every project's, so that a list
# across projects (the dataset list, `page_cache.catalogue_fragment`) can be keyed on one row.
CATALOGUE_ID = UUID(int=0)
CATALOGUE = {
    "postgresql": "'00000000-0000-0000-0000-000000000000'::uuid",
    "sqlite": "'00000000000000000000000000000000'",  # Django's UUIDs there: 32 hex digits
}


def _bump_sql(vendor: str, projects: str) -> str:
    # DISTINCT first, then one random draw per project: an upsert may touch a row only once.
    return (
        f"INSERT INTO {VERSION_TABLE} (project_id, version) "
        f"SELECT bumped.project_id, {RANDOM[vendor]} FROM (SELECT DISTINCT p.project_id FROM "
        f"({projects} UNION SELECT {CATALOGUE[vendor]}) p WHERE p.project_id IS NOT NULL) "
        "bumped WHERE true "
        "ON CONFLICT (project_id) DO UPDATE SET version = excluded.version"
    )


PENDING_TABLE = "projects_projectcontentpending"
# The writing transaction, as a bigint (xid8 carries the epoch, so it never wraps around).
XACT = "pg_current_xact_id()::text::bigint"
FLUSH = f"{PREFIX}_flush"


def _pending_sql(projects: str) -> str:
    """PostgreSQL: note the projects as changed by this transaction, once each. No row that
    another transaction writes is touched, so nothing here waits for, or holds back, a
    concurrent writer; the version itself is bumped by `FLUSH` as the transaction commits."""
    return (
        f"INSERT INTO {PENDING_TABLE} (xact, project_id) "
        f"SELECT {XACT}, bumped.project_id FROM (SELECT DISTINCT p.project_id FROM "
        f"({projects}) p WHERE p.project_id IS NOT NULL) bumped WHERE NOT EXISTS "
        f"(SELECT 1 FROM {PENDING_TABLE} q WHERE q.xact = {XACT} "
        "AND q.project_id = bumped.project_id)"
    )


def _flush_sql() -> tuple[str, str]:
    """A deferred constraint trigger on the pending table: at commit, the first of this
    transaction's pending rows to fire turns all of them, and the catalogue, into new versions
    in one statement (in project order, the catalogue first, so two committing transactions lock version rows in the same order and
    cannot deadlock), and deletes them; the rest find nothing left. The version rows are
    locked only from there to the end of the commit."""
    create = (
        f"CREATE OR REPLACE FUNCTION {FLUSH}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"BEGIN\n  WITH mine AS (DELETE FROM {PENDING_TABLE} WHERE xact = {XACT} "
        f"RETURNING project_id)\n  INSERT INTO {VERSION_TABLE} (project_id, version) "
        f"SELECT d.project_id, {RANDOM['postgresql']} FROM (SELECT project_id FROM mine UNION "
        f"SELECT {CATALOGUE['postgresql']} FROM mine) d ORDER BY d.project_id ON CONFLICT (project_id) DO UPDATE "
        "SET version = excluded.version;\n  RETURN NULL;\nEND\n$body$;\n"
        f'DROP TRIGGER IF EXISTS {FLUSH} ON "{PENDING_TABLE}";\n'
        f'CREATE CONSTRAINT TRIGGER {FLUSH} AFTER INSERT ON "{PENDING_TABLE}" '
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FLUSH}();"
    )
    drop = (
        f'DROP TRIGGER IF EXISTS {FLUSH} ON "{PENDING_TABLE}";\nDROP FUNCTION IF EXISTS {FLUSH}();'
    )
    return create, drop


def _projects(bump: Bump, rows: list[str], vendor: str) -> str:
    return " UNION ".join(
        f"SELECT x.project_id FROM ({_for(bump, vendor)}) x".replace("{R}", r) for r in rows
    )


def _for(bump: Bump, vendor: str) -> str:
    """The bump's SELECT of project ids, with the catalogue's id spelt for `vendor`."""
    return bump.projects.replace("{CATALOGUE}", CATALOGUE[vendor])


def _postgres(bump: Bump, table: str) -> tuple[str, str]:
    """Statement-level triggers over transition tables: one bump per statement, whatever the
    number of rows (a `bulk_create` of 100,000 rows pays one upsert per project, not one per
    row). PostgreSQL allows no column list with transition tables, so a bump limited to some
    columns (`update_of`: a person's name) stays a row trigger with a WHEN condition."""
    if bump.update_of:
        return _postgres_row(bump, table)
    events = {
        "insert": ("INSERT", "NEW TABLE AS new_rows", ["new_rows"]),
        "update": (
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            ["new_rows", "old_rows"],
        ),
        "delete": ("DELETE", "OLD TABLE AS old_rows", ["old_rows"]),
    }
    creates, drops = [f'DROP TRIGGER IF EXISTS {PREFIX}_bump ON "{table}";'], []
    for event, (operation, referencing, tables) in events.items():
        function, trigger = f"{PREFIX}_{table}_{event}", f"{PREFIX}_bump_{event}"
        projects = " UNION ".join(
            f"SELECT x.project_id FROM {rows} r CROSS JOIN LATERAL "
            f"({_for(bump, 'postgresql').replace('{R}', 'r')}) x"
            for rows in tables
        )
        creates.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $body$\nBEGIN\n  {_pending_sql(projects)};\n  RETURN NULL;\n"
            f"END\n$body$;\n"
            f'DROP TRIGGER IF EXISTS {trigger} ON "{table}";\n'
            f'CREATE TRIGGER {trigger} AFTER {operation} ON "{table}" REFERENCING {referencing} '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        )
        drops.append(
            f'DROP TRIGGER IF EXISTS {trigger} ON "{table}";\nDROP FUNCTION IF EXISTS {function}();'
        )
    drops.append(f"DROP FUNCTION IF EXISTS {PREFIX}_{table}();")
    return "\n".join(creates), "\n".join(drops)


def _postgres_row(bump: Bump, table: str) -> tuple[str, str]:
    function = f"{PREFIX}_{table}"
    trigger = f"{PREFIX}_bump"
    body = _pending_sql(_projects(bump, ["NEW", "OLD"], "postgresql")) + ";"
    columns = ", ".join(f'"{c}"' for c in bump.update_of)
    changed = " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in bump.update_of)
    timing = f'AFTER UPDATE OF {columns} ON "{table}" FOR EACH ROW WHEN ({changed})'
    create = (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        f"BEGIN\n  {body}\n  RETURN NULL;\nEND\n$body$;\n"
        f'DROP TRIGGER IF EXISTS {trigger} ON "{table}";\n'
        f"CREATE TRIGGER {trigger} {timing} EXECUTE FUNCTION {function}();"
    )
    drop = f'DROP TRIGGER IF EXISTS {trigger} ON "{table}";\nDROP FUNCTION IF EXISTS {function}();'
    return create, drop


def _sqlite(bump: Bump, table: str) -> tuple[list[str], list[str]]:
    return version_triggers.sqlite_triggers(
        PREFIX,
        table,
        bump.update_of,
        lambda rows: _bump_sql("sqlite", _projects(bump, rows, "sqlite")),
    )


def _tables(apps) -> list[tuple[str, Bump]]:
    return [(table_of(apps, bump.label), bump) for bump in BUMPS]


def install(apps, schema_editor) -> None:
    """(Re)create every bump trigger, and on PostgreSQL the flush at commit; a migration's
    RunPython forwards step."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_flush_sql()[0], params=None)
    version_triggers.install_triggers(
        schema_editor,
        _tables(apps),
        lambda bump, table: _postgres(bump, table)[0],
        _sqlite,
        "project content-version",
    )


def uninstall(apps, schema_editor) -> None:
    version_triggers.uninstall_triggers(
        schema_editor,
        _tables(apps),
        lambda bump, table: _postgres(bump, table)[1],
        lambda bump, table: _sqlite(bump, table)[1],
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_flush_sql()[1], params=None)


INSTALLED_BY = ("projects", "0012_project_content_version_triggers")


def reinstall_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: put every trigger back (SQLite drops a table's triggers when a migration
    rebuilds it)."""
    version_triggers.reinstall_after_migrate(using, INSTALLED_BY, install)


def seed_versions(apps, schema_editor) -> None:
    """Give every existing project a random version (a migration's RunPython step)."""
    table = table_of(apps, "projects.Project")
    version_triggers.seed_versions(schema_editor, VERSION_TABLE, "project_id", table)
