"""The search table: one row per searchable item, kept by database triggers (PostgreSQL).

`search_entry` holds, for every project, item of a shared kind (datasets, protocols, analyses:
the registry `apps.core.kinds`), biomarker, deliverable, milestone and organisation, what one
search needs to decide *in one table* whether a row matches, whether
the person may see it, where it ranks and which facet values it counts under:

- the facts the access rules test, as plain columns: the row's project, whether that project is
  live and shows its summary publicly, the row's tier, status and (projects) proposer. What the
  rules ask of the *person* (their consortium and member projects, grants, organisations) is
  not stored: `apps.search.statements` passes it as arrays, so visibility is a few column tests;
- the text: the full-text `document` (for projects the whole project; `card` is the public
  card's vector, all an outsider's words may match), `title_doc` for the title bucket,
  `names` (titles and a project's disease areas), whose words feed the typo vocabulary
  `search_word`, and `codes` (deliverable, ROR and ODS codes) matched exactly;
- the facets: tier, status, organisation (a project's lead partner), year, the project's
  disease areas; and `moment`, the recency the order uses.

Freshness: every write to a source row — a service's save, `QuerySet.update()`, a bulk write,
raw SQL — fires an AFTER … FOR EACH ROW trigger that re-projects the row (or deletes its
entry) in the same transaction, so a new, renamed or newly hidden item is searched as such as
soon as its transaction commits. A project's change of status or summary visibility re-projects
its items too (their visibility depends on it), a change of its disease areas rewrites its
items' `disease_area_ids`, and a change of its partners its lead organisation.

Each kind's projection is one SELECT (`PROJECTIONS`), used both by the triggers (for one row,
or one project's rows) and to fill the table (migration search/0002). The shared kinds'
projections are generated from their registry declaration (`SharedKind.search`: title, text
fields, status, organisation, year, moment; the tier is `access_tier`), so a kind registered
there is in the table without being named here. A change to a projection ships with a
migration that calls `install()` again (it replaces the functions and refills); so does a new
shared kind's app, once its table exists (`install` projects only the kinds whose models the
migration state holds, as search/0003 did for analyses).

SQLite (`make run`) has no search table: search there reads the kinds' own tables
(`apps.search.selectors`), which is fine at development sizes.
"""

from apps.access.policy.subjects import LIVE_PROJECT_STATUSES
from apps.core.kinds import SharedKind, shared_kinds

TABLE = "search_entry"
PREFIX = "search_entry_sync"

COLUMNS = (
    "kind",
    "object_id",
    "project_id",
    "project_live",
    "project_public",
    "proposed_by_id",
    "tier",
    "status",
    "organisation_id",
    "year",
    "moment",
    "title",
    "acronym",
    "names",
    "codes",
    "disease_area_ids",
    "document",
    "card",
    "title_doc",
)

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    kind varchar(30) NOT NULL,
    object_id uuid NOT NULL,
    project_id uuid NULL,
    project_live boolean NOT NULL,
    project_public boolean NOT NULL,
    proposed_by_id uuid NULL,
    tier varchar(30) NOT NULL,
    status varchar(30) NOT NULL,
    organisation_id uuid NULL,
    year integer NULL,
    moment timestamptz NOT NULL,
    title text NOT NULL,
    acronym text NOT NULL,
    names text NOT NULL,
    codes text[] NOT NULL,
    disease_area_ids uuid[] NOT NULL,
    document tsvector NOT NULL,
    card tsvector NULL,
    title_doc tsvector NOT NULL,
    PRIMARY KEY (kind, object_id)
)"""

INDEXES = (
    f"CREATE INDEX IF NOT EXISTS search_entry_document ON {TABLE} USING gin (document)",
    f"CREATE INDEX IF NOT EXISTS search_entry_card ON {TABLE} USING gin (card)",
    f"CREATE INDEX IF NOT EXISTS search_entry_title_doc ON {TABLE} USING gin (title_doc)",
    f"CREATE INDEX IF NOT EXISTS search_entry_codes ON {TABLE} USING gin (codes)",
    f"CREATE INDEX IF NOT EXISTS search_entry_areas ON {TABLE} USING gin (disease_area_ids) "
    "WHERE kind = 'project'",
    f"CREATE INDEX IF NOT EXISTS search_entry_project ON {TABLE} (project_id)",
    f"CREATE INDEX IF NOT EXISTS search_entry_exact ON {TABLE} (lower(title))",
    f"CREATE INDEX IF NOT EXISTS search_entry_acronym ON {TABLE} (lower(acronym)) "
    "WHERE kind = 'project'",
    f"CREATE INDEX IF NOT EXISTS search_entry_recent ON {TABLE} (kind, moment DESC, object_id)",
)


# Typo tolerance: the words of every title (and project disease area), each once. A typed word
# that starts no known word is corrected to its nearest known words (pg_trgm's word similarity
# over this small table, `apps.search.statements.person_facts`), and the search then matches
# those words through the full-text index like any other: no row's text is compared by
# trigrams at query time. Words are only added (a word no row uses any more finds nothing).
# No unique key, on purpose: with one, a transaction adding a new word would make every other
# writer of that word wait for it to end (and two writers adding two words in opposite order
# would deadlock), so a long import would stall unrelated saves. A word is added when no
# committed row has it; two concurrent writers may both add it, and readers take DISTINCT.
WORDS = "search_word"
CREATE_WORDS = f"CREATE TABLE IF NOT EXISTS {WORDS} (word text NOT NULL)"
WORD_INDEXES = (
    f"CREATE INDEX IF NOT EXISTS search_word_trgm ON {WORDS} USING gin (word gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS search_word_prefix ON {WORDS} (word text_pattern_ops)",
    # The trigger's "is this word known?" probe, once per word of every written row.
    f"CREATE INDEX IF NOT EXISTS search_word_word ON {WORDS} (word)",
)
MIN_WORD_LENGTH = 3


def _words_of(names: str) -> str:
    return (
        f"INSERT INTO {WORDS} (word) SELECT DISTINCT w FROM "
        f"regexp_split_to_table(lower({names}), '[^[:alnum:]]+') AS w "
        f"WHERE length(w) >= {MIN_WORD_LENGTH} "
        f"AND NOT EXISTS (SELECT 1 FROM {WORDS} k WHERE k.word = w)"
    )


def _words_sync() -> tuple[str, str]:
    name = f"{PREFIX}_words"
    body = f"""  IF TG_OP = 'INSERT' OR NEW.names IS DISTINCT FROM OLD.names THEN
    {_words_of("NEW.names")};
  END IF;"""
    # The "is this word known?" probe must use the index even while the table's statistics
    # still say it is empty (a bulk write of new words would otherwise scan it once per word).
    return _function(name, body, "SET enable_seqscan = off"), _trigger(
        TABLE, name, "INSERT OR UPDATE"
    )


def _live(project: str) -> str:
    statuses = ", ".join(f"'{status}'" for status in LIVE_PROJECT_STATUSES)
    return f"coalesce({project}.status IN ({statuses}), false)"


def _public(project: str) -> str:
    return f"coalesce({project}.summary_visibility = 'public', false)"


def _doc(*fields: str) -> str:
    joined = " || ' ' || ".join(f"coalesce({name}, '')" for name in fields)
    return f"to_tsvector('english'::regconfig, {joined})"


def _areas(project_id: str) -> str:
    return (
        "ARRAY(SELECT d.diseasearea_id FROM projects_project_disease_areas d "
        f"WHERE d.project_id = {project_id} ORDER BY d.diseasearea_id)"
    )


def _year(expression: str) -> str:
    return f"extract(year FROM {expression})::integer"


def _codes(*expressions: str) -> str:
    return f"array_remove(ARRAY[{', '.join(expressions)}]::text[], NULL)"


# The lead partner a project's facet names (as `apps.search.selectors` did through the Partner
# rule: shown only to those who may see the project's details, which the statement checks).
LEAD = (
    "(SELECT pa.organisation_id FROM projects_partner pa "
    "JOIN organisations_organisation lo ON lo.id = pa.organisation_id "
    "WHERE pa.project_id = s.id AND pa.role = 'lead' AND pa.status = 'active' "
    "ORDER BY lo.name, pa.id LIMIT 1)"
)


def _item(
    table: str,
    kind: str,
    *,
    tier: str,
    status: str,
    organisation: str,
    year: str,
    title: str,
    fields: tuple[str, ...],
    codes: str = "ARRAY[]::text[]",
    moment: str = "updated_at",
) -> tuple[str, str]:
    """(source table, projection) for rows that belong to a project (`s.project_id`)."""
    return (
        table,
        f"""SELECT '{kind}', s.id, s.project_id, {_live("p")}, {_public("p")}, NULL::uuid,
    {tier}, {status}, {organisation}, {year}, s.{moment},
    coalesce(s.{title}, ''), '', coalesce(s.{title}, ''), {codes}, {_areas("s.project_id")},
    {_doc(*(f"s.{name}" for name in fields))}, NULL::tsvector, {_doc(f"s.{title}")}
FROM {table} s LEFT JOIN projects_project p ON p.id = s.project_id""",
    )


def _shared(kind: SharedKind) -> tuple[str, str]:
    """A shared kind's projection, from its registry declaration (`apps.core.kinds.Search`)."""
    spec = kind.search
    table = kind.item.table
    years = [f"s.{name}" for name in spec.year_from]
    return _item(
        table,
        kind.name,
        tier="s.access_tier",
        status=f"s.{spec.status}" if spec.status else "''",
        organisation=f"s.{spec.organisation}" if spec.organisation else "NULL::uuid",
        year=_year(years[0] if len(years) == 1 else f"coalesce({', '.join(years)})"),
        title=spec.title,
        fields=spec.fields,
        moment=spec.moment,
    )


Projections = dict[str, tuple[str, str]]  # kind → (source table, projection)


def projections(shared: tuple[SharedKind, ...]) -> Projections:
    """Every kind's projection, with `shared` as the shared kinds. Document fields are those of
    the kinds in `apps.search.selectors.KINDS`: only text that anyone who sees the row may read."""
    return {
        "project": (
            "projects_project",
            f"""SELECT 'project', s.id, s.id, {_live("s")}, {_public("s")}, s.proposed_by_id,
    CASE WHEN s.summary_visibility = 'public' THEN 'public' ELSE 'members' END, s.status,
    {LEAD}, {_year("s.start_date")}, s.card_updated_at,
    s.title, s.acronym, s.title || ' | ' || coalesce(s.disease_area_names, ''),
    ARRAY[]::text[], {_areas("s.id")},
    coalesce(s.search_vector, {_doc("s.title", "s.acronym", "s.summary", "s.disease_area_names")}),
    coalesce(s.card_search_vector, {_doc("s.title", "s.acronym", "s.disease_area_names")}),
    {_doc("s.title", "s.acronym")}
FROM projects_project s""",
        ),
        # The shared kinds (datasets, protocols, analyses…), as declared (`apps.core.kinds`).
        **{kind.name: _shared(kind) for kind in shared},
        "biomarker": _item(
            "projects_biomarker",
            "biomarker",
            tier="CASE WHEN p.summary_visibility = 'public' THEN 'public' ELSE 'members' END",
            status="s.development_stage",
            organisation="s.diagnostic_partner_id",
            year=_year("s.created_at"),
            title="name",
            fields=("name", "stratum", "assay"),
        ),
        "deliverable": _item(
            "milestones_deliverable",
            "deliverable",
            tier="s.dissemination",
            status="s.status",
            organisation="s.lead_organisation_id",
            year=_year("s.due_date"),
            title="title",
            fields=("code", "title", "summary"),
            codes=_codes("upper(nullif(s.code, ''))"),
        ),
        "milestone": _item(
            "milestones_milestone",
            "milestone",
            tier="'consortium'",
            status="s.status",
            organisation="s.owner_organisation_id",
            year=_year("s.due_date"),
            title="title",
            fields=("title", "description"),
        ),
        "organisation": (
            "organisations_organisation",
            f"""SELECT 'organisation', s.id, NULL::uuid, false, false, NULL::uuid,
    'public', s.status, s.id, NULL::integer, s.updated_at,
    s.name, '', s.name,
    {_codes("'ror:' || lower(nullif(s.ror_id, ''))", "'ods:' || upper(nullif(s.ods_code, ''))")},
    ARRAY[]::uuid[], {_doc("s.name", "s.description")}, NULL::tsvector, {_doc("s.name")}
FROM organisations_organisation s""",
        ),
    }


PROJECTIONS = projections(shared_kinds())
INDEXED_KINDS = tuple(PROJECTIONS)
# Kinds whose rows belong to a project (re-projected when their project changes).
NOT_ITEMS = ("project", "organisation")
ITEM_KINDS = tuple(kind for kind in INDEXED_KINDS if kind not in NOT_ITEMS)

_COLUMN_LIST = ", ".join(COLUMNS)
_UPSERT_TAIL = " ON CONFLICT (kind, object_id) DO UPDATE SET " + ", ".join(
    f"{column} = EXCLUDED.{column}" for column in COLUMNS[2:]
)


def upsert(kind: str, where: str, projected: Projections = PROJECTIONS) -> str:
    """INSERT … SELECT the kind's projection of the rows `where` selects (on `s`), replacing
    their entries."""
    _table, projection = projected[kind]
    return f"INSERT INTO {TABLE} ({_COLUMN_LIST}) {projection} WHERE {where}{_UPSERT_TAIL}"


def _function(name: str, body: str, settings: str = "") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql {settings} "
        f"AS $body$\nBEGIN\n{body}\n  RETURN NULL;\nEND\n$body$;"
    )


def _trigger(table: str, name: str, events: str = "INSERT OR UPDATE OR DELETE") -> str:
    return (
        f'DROP TRIGGER IF EXISTS {PREFIX} ON "{table}";\n'
        f'CREATE TRIGGER {PREFIX} AFTER {events} ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {name}();"
    )


def _kind_sync(kind: str, projected: Projections = PROJECTIONS) -> tuple[str, str]:
    table, _ = projected[kind]
    name = f"{PREFIX}_{kind}"
    body = f"""  IF TG_OP = 'DELETE' THEN
    DELETE FROM {TABLE} WHERE kind = '{kind}' AND object_id = OLD.id;
  ELSE
    {upsert(kind, "s.id = NEW.id", projected)};
  END IF;"""
    if kind == "project":
        # The items' visibility and tier follow their project's status and summary visibility.
        children = "\n      ".join(
            f"{upsert(item, 's.project_id = NEW.id', projected)};"
            for item in projected
            if item not in NOT_ITEMS
        )
        body += f"""
  IF TG_OP = 'UPDATE' AND (NEW.status IS DISTINCT FROM OLD.status
      OR NEW.summary_visibility IS DISTINCT FROM OLD.summary_visibility) THEN
      {children}
  END IF;
  IF TG_OP = 'DELETE' THEN
    DELETE FROM {TABLE} WHERE project_id = OLD.id;
  END IF;"""
    return _function(name, body), _trigger(table, name)


def _areas_sync() -> tuple[str, str]:
    """A project's disease areas changed: its entries' (and its items') area ids follow."""
    name = f"{PREFIX}_disease_areas"
    body = f"""  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE {TABLE} SET disease_area_ids = {_areas("OLD.project_id")}
    WHERE project_id = OLD.project_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE {TABLE} SET disease_area_ids = {_areas("NEW.project_id")}
    WHERE project_id = NEW.project_id;
  END IF;"""
    return _function(name, body), _trigger("projects_project_disease_areas", name)


def _partners_sync() -> tuple[str, str]:
    """A project's partners changed: its lead organisation (a facet) follows."""
    name = f"{PREFIX}_partners"
    body = f"""  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {upsert("project", "s.id = OLD.project_id")};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {upsert("project", "s.id = NEW.project_id")};
  END IF;"""
    return _function(name, body), _trigger("projects_partner", name)


def _organisation_names_sync() -> tuple[str, str]:
    """An organisation renamed: the lead partner of its projects is chosen by name."""
    name = f"{PREFIX}_lead_names"
    body = f"""  IF NEW.name IS DISTINCT FROM OLD.name THEN
    {
        upsert(
            "project",
            "s.id IN (SELECT project_id FROM projects_partner "
            "WHERE organisation_id = NEW.id AND role = 'lead')",
        )
    };
  END IF;"""
    table = "organisations_organisation"
    trigger = (
        f'DROP TRIGGER IF EXISTS {PREFIX}_lead ON "{table}";\n'
        f'CREATE TRIGGER {PREFIX}_lead AFTER UPDATE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {name}();"
    )
    return _function(name, body), trigger


def _truncate_sync(table: str, name: str, statement: str) -> tuple[str, str]:
    """TRUNCATE fires no row trigger: the entries it leaves behind go too (a test database's
    flush truncates every table)."""
    function = f"{PREFIX}_truncate_{name}"
    trigger = (
        f'DROP TRIGGER IF EXISTS {PREFIX}_truncate ON "{table}";\n'
        f'CREATE TRIGGER {PREFIX}_truncate AFTER TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    )
    return _function(function, f"  {statement};"), trigger


def truncates(projected: Projections = PROJECTIONS) -> dict[str, tuple[str, str]]:
    """name → (table, what its TRUNCATE does to the search table)."""
    return {
        **{
            kind: (table, f"DELETE FROM {TABLE} WHERE kind = '{kind}'")
            for kind, (table, _) in projected.items()
        },
        "disease_areas": (
            "projects_project_disease_areas",
            f"UPDATE {TABLE} SET disease_area_ids = ARRAY[]::uuid[]",
        ),
        "partners": (
            "projects_partner",
            f"UPDATE {TABLE} SET organisation_id = NULL WHERE kind = 'project'",
        ),
    }


TRUNCATES = truncates()


def _all_sync(projected: Projections = PROJECTIONS) -> list[tuple[str, str]]:
    return [
        *(_truncate_sync(table, name, sql) for name, (table, sql) in truncates(projected).items()),
        *(_kind_sync(kind, projected) for kind in projected),
        _areas_sync(),
        _partners_sync(),
        _organisation_names_sync(),
        _words_sync(),
    ]


def _present(apps) -> Projections:
    """The projections of the tables `apps` (a migration's historical state) holds: every kind
    but the shared kinds whose models are not there yet (a kind's app installs again once it
    has its table, as apps.changes.triggers does)."""

    def exists(label: str) -> bool:
        try:
            apps.get_model(label)
        except LookupError:
            return False
        return True

    return projections(tuple(kind for kind in shared_kinds() if exists(kind.model)))


def install(apps, schema_editor) -> None:
    """Create the table, its indexes and triggers, and fill it (a migration's forwards step;
    idempotent, so a later migration may call it again after a projection changed)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    projected = _present(apps)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(CREATE_TABLE)
    schema_editor.execute(CREATE_WORDS)
    for create_function, create_trigger in _all_sync(projected):
        schema_editor.execute(create_function, params=None)
        schema_editor.execute(create_trigger, params=None)
    refill(schema_editor, projected)
    schema_editor.execute(_words_of(f"(SELECT string_agg(names, ' ') FROM {TABLE})"))
    for index in (*INDEXES, *WORD_INDEXES):
        schema_editor.execute(index)


def refill(schema_editor, projected: Projections = PROJECTIONS) -> None:
    for kind in projected:
        schema_editor.execute(upsert(kind, "true", projected), params=None)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    projected = _present(apps)
    # Dropping the table drops its own trigger (the vocabulary's).
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {WORDS}")
    for kind, (table, _) in projected.items():
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {PREFIX} ON "{table}"')
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {PREFIX}_{kind}()")
    schema_editor.execute(f'DROP TRIGGER IF EXISTS {PREFIX} ON "projects_project_disease_areas"')
    schema_editor.execute(f'DROP TRIGGER IF EXISTS {PREFIX} ON "projects_partner"')
    schema_editor.execute(f'DROP TRIGGER IF EXISTS {PREFIX}_lead ON "organisations_organisation"')
    for name in ("disease_areas", "partners", "lead_names", "words"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {PREFIX}_{name}()")
    for name, (table, _sql) in truncates(projected).items():
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {PREFIX}_truncate ON "{table}"')
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {PREFIX}_truncate_{name}()")
