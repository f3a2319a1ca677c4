"""Search statements over the search table (`apps.search.index`, PostgreSQL).

One statement answers a search page: the matching rows the person may see are gathered once
(a MATERIALIZED CTE over `search_entry`), then cut to the page in the stable order
`(bucket desc, moment desc, kind, id)` and grouped for every facet (GROUPING SETS, and the
disease areas unnested). Visibility is the access policy's rule for each kind written as column
tests on the entry against the person's facts (`PersonFacts`), which are read once per search
through the policy's own subject subqueries and passed as arrays. `tests/search/
test_search_table.py` holds this rule equal to `apps.access.policy.visible()` for every kind and
every persona of the trust issue; the rows a page shows are read again through `visible()`
before display (`apps.search.selectors._display_rows`), so the table can never show a hidden
row, only drop one.

Suggestions take a cheaper path (`suggestion_rows`): no facets, and each bucket asked for its
first eight rows only (`LIMIT`), which PostgreSQL answers from the indexes.
"""

import datetime
import json
import uuid
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from apps.access.policy import visible
from apps.access.policy.items import active_grant_dataset_ids
from apps.access.policy.subjects import (
    EDITOR_ROLES,
    active_organisation_ids,
    consortium_project_ids,
    is_signed_in,
    is_staff,
    member_project_ids,
    shared_subqueries,
)
from apps.core.kinds import Search, shared_kinds
from apps.core.models import AccessTier
from apps.datasets.models import DataUseCondition
from apps.milestones.models import Deliverable
from apps.organisations.models import Organisation, OrganisationStatus
from apps.search.index import INDEXED_KINDS, TABLE, WORDS

# pg_trgm's word similarity a title needs to match a typed word (`%>`, through the trigram
# indexes). Its default, 0.6, misses one dropped letter in a short word ("astma" scores 0.5
# against "asthma"); 0.45 finds it, and what it adds ranks last (bucket TEXT).
WORD_SIMILARITY_THRESHOLD = "0.45"
PUBLISHED_DELIVERABLES = ("approved", "submitted")
MIN_CORRECTED_LENGTH = 4  # shorter words are still being typed, or too short to correct
SHARED = {kind.name: kind.search for kind in shared_kinds()}  # the shared kinds' declarations


# --- The person ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonFacts:
    """What the access rules ask of the person, as values (the policy's subject subqueries,
    evaluated once): staff see every row's metadata; the others' visible rows are tested
    against these sets."""

    signed_in: bool = False
    staff: bool = False
    user_id: object = None
    insider: tuple = ()  # consortium or current-member projects
    member: tuple = ()  # current-member projects
    editor: tuple = ()  # projects where a coordinator or contributor
    grants: tuple = ()  # datasets held under an active grant
    affiliated: bool = False  # an approved organisation, currently
    organisations: tuple = ()  # organisations not approved that the person may still see


def _sql(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _correction_sql(word: str) -> tuple[str, list]:
    """Up to three known words whose word similarity to `word` is at least 0.45, when no known
    word starts with it. pg_trgm's `%` (similarity above its default 0.3, from the GIN index)
    finds the candidates, so no session setting is needed."""
    return (
        f"CASE WHEN EXISTS (SELECT 1 FROM {WORDS} k WHERE k.word LIKE %s) THEN ARRAY[]::text[] "
        f"ELSE ARRAY(SELECT d.word FROM (SELECT DISTINCT v.word FROM {WORDS} v "
        "WHERE v.word %% %s AND word_similarity(%s, v.word) >= %s::real) d "
        "ORDER BY word_similarity(%s, d.word) DESC, d.word LIMIT 3) END",
        # Words are letters and digits only (`Terms`): nothing in them is a LIKE wildcard.
        [word + "%", word, word, WORD_SIMILARITY_THRESHOLD, word],
    )


def person_facts(user, words: tuple[str, ...] = ()) -> tuple[PersonFacts, dict]:
    """The person's facts, and the corrections of typed `words` no known word starts with
    (word → nearest known words): one statement."""
    columns, params = [], []
    typo_words = [
        word for word in words if len(word) >= MIN_CORRECTED_LENGTH and not word.isdigit()
    ]
    for word in typo_words:
        sql, word_params = _correction_sql(word)
        columns.append(sql)
        params.extend(word_params)
    asks_facts = is_signed_in(user) and not is_staff(user)
    if asks_facts:
        with shared_subqueries():
            parts = {
                "consortium": consortium_project_ids(user),
                "member": member_project_ids(user),
                "editor": member_project_ids(user, roles=EDITOR_ROLES),
                "grants": active_grant_dataset_ids(user),
                "affiliated": active_organisation_ids(user),
                # The organisation rule beyond "approved", asked of the policy itself: the
                # rows it lets this person see among the others (their own, any status).
                "organisations": visible(
                    user, Organisation.objects.exclude(status=OrganisationStatus.APPROVED)
                ).values("id"),
            }
            known = {}
            for name, part in parts.items():
                if not isinstance(part, QuerySet):
                    # Already known from the person's cached access facts (apps.access.facts).
                    known[name] = part
                    continue
                sql, sub_params = _sql(part)
                columns.append(f"EXISTS({sql})" if name == "affiliated" else f"ARRAY({sql})")
                params.extend(sub_params)
    values = []
    if is_signed_in(user):
        # People's names are matched with pg_trgm's `%>` (`apps.search.selectors._matching`),
        # which reads this session setting: set in the same statement, before theirs.
        columns.append("set_config('pg_trgm.word_similarity_threshold', %s, false)")
        params.append(WORD_SIMILARITY_THRESHOLD)
    if columns:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), params)
            values = list(cursor.fetchone())
        if is_signed_in(user):
            values.pop()
    corrections = {
        word: [known for known in values[index] if known != word]
        for index, word in enumerate(typo_words)
    }
    corrections = {word: known for word, known in corrections.items() if known}
    if not asks_facts:
        facts = PersonFacts(signed_in=is_signed_in(user), staff=is_staff(user), user_id=user.pk)
        return facts, corrections
    asked = iter(values[len(typo_words) :])
    consortium, member, editor, grants, affiliated, organisations = (
        known[name] if name in known else next(asked) for name in parts
    )
    facts = PersonFacts(
        signed_in=True,
        user_id=user.pk,
        insider=tuple({*consortium, *member}),
        member=tuple(member),
        editor=tuple(editor),
        grants=tuple(grants),
        affiliated=bool(affiliated),
        organisations=tuple(organisations),
    )
    return facts, corrections


# --- SQL pieces ----------------------------------------------------------------------------------
class Sql:
    """A fragment of SQL with its parameters, joined in order."""

    def __init__(self, text: str = "", *params):
        self.text = text
        self.params = list(params)

    def __add__(self, other: "Sql") -> "Sql":
        return Sql(self.text + other.text, *self.params, *other.params)

    @classmethod
    def join(cls, separator: str, parts: list["Sql"]) -> "Sql":
        out = Sql()
        for index, part in enumerate(parts):
            if index:
                out += Sql(separator)
            out += part
        return out


def _any(column: str, values: tuple) -> Sql:
    return Sql(f"{column} = ANY(%s::uuid[])", list(values))


TRUE, FALSE = Sql("true"), Sql("false")


def _or(*parts: Sql) -> Sql:
    return Sql("(") + Sql.join(" OR ", list(parts)) + Sql(")")


def _and(*parts: Sql) -> Sql:
    return Sql("(") + Sql.join(" AND ", list(parts)) + Sql(")")


def whole_project(facts: PersonFacts) -> Sql:
    """The project's details may be read (the view-details rule): its text beyond the card
    may match, and its lead partner may be named."""
    if facts.staff:
        return TRUE
    return _or(Sql("(e.project_live AND e.project_public)"), _any("e.project_id", facts.insider))


def _item_metadata(facts: PersonFacts) -> Sql:
    """`apps.access.policy.items.item_metadata_q` over entry columns."""
    outside = Sql(
        "(e.project_live AND (e.tier = %s OR (e.tier = %s AND e.project_public)))",
        AccessTier.PUBLIC.value,
        AccessTier.CONTROLLED.value,
    )
    if not facts.signed_in:
        return outside
    registered = Sql("(e.project_live AND e.tier = %s AND %s)", AccessTier.REGISTERED.value)
    registered.params.append(facts.affiliated)
    return _or(outside, registered, _any("e.project_id", facts.insider))


def _shared_item(spec: Search, facts: PersonFacts) -> Sql:
    """A shared kind's view rule (`apps.access.policy.items`: `dataset_view_q`,
    `protocol_view_q`, which analyses reuse) as its registry declaration states it: the tier's
    metadata rule (once published, for kinds whose items are), or the project's editors, or
    (datasets) holders of an active grant."""
    seen = _item_metadata(facts)
    if spec.published:
        seen = Sql("e.status = %s AND ", spec.published) + seen
    if not facts.signed_in:
        return seen
    arms = [seen, _any("e.project_id", facts.editor)]
    if spec.granted:
        arms.append(_any("e.object_id", facts.grants))
    return _or(*arms)


def visible_condition(kind: str, facts: PersonFacts) -> Sql:
    """The access policy's view rule for `kind`, over `search_entry e` (tested against
    `visible()` in tests/search/test_search_table.py)."""
    if facts.staff:
        return TRUE
    insider = _any("e.project_id", facts.insider)
    if kind == "project":
        own = Sql("e.proposed_by_id = %s", facts.user_id) if facts.signed_in else FALSE
        return _or(Sql("e.project_live"), insider, own)
    if kind == "biomarker":
        return _or(Sql("(e.project_live AND e.project_public)"), insider)
    if kind == "milestone":
        return insider if facts.signed_in else FALSE
    if kind == "deliverable":
        public = Sql(
            "(e.tier = %s AND e.status = ANY(%s) AND e.project_live AND e.project_public)",
            Deliverable.Dissemination.PUBLIC.value,
            list(PUBLISHED_DELIVERABLES),
        )
        if not facts.signed_in:
            return public
        restricted = Deliverable.Dissemination.RESTRICTED.value
        return _or(
            public,
            Sql("e.tier <> %s AND ", restricted) + insider,
            Sql("e.tier = %s AND ", restricted) + _any("e.project_id", facts.member),
        )
    if kind in SHARED:
        return _shared_item(SHARED[kind], facts)
    if kind == "organisation":
        return _or(
            Sql("e.status = %s", OrganisationStatus.APPROVED.value),
            _any("e.object_id", facts.organisations),
        )
    return FALSE  # a kind the table does not hold is never found through it


def visible_sql(kinds: list[str], facts: PersonFacts) -> Sql:
    """`e` is one of `kinds` and visible to the person."""
    if facts.staff:
        return Sql("e.kind = ANY(%s)", list(kinds))
    arms = [
        Sql("(e.kind = %s AND ", kind) + visible_condition(kind, facts) + Sql(")") for kind in kinds
    ]
    return _or(*arms) if arms else FALSE


@dataclass
class Match:
    """What the typed text matches, prepared by `apps.search.selectors`."""

    prefix_query: str  # to_tsquery text of the typed words (the title bucket)
    text: str  # the whole text, for exact titles
    words_query: str = ""  # to_tsquery text with corrections of typos (what matches)
    codes: list = field(default_factory=list)  # exact codes as stored in `codes`
    icd_areas: list = field(default_factory=list)  # areas covering a typed ICD-10 code
    synonym_areas: list = field(default_factory=list)  # areas named by the words
    duo_term: str = ""  # a typed DUO id

    @property
    def words(self) -> str:
        return self.words_query or self.prefix_query


def _q() -> str:
    return "to_tsquery('english'::regconfig, %s)"


def match_sql(match: Match, facts: PersonFacts) -> Sql:
    """The row matches the text: its words (a project's card only, for those who may not read
    the whole project), a similar title, an exact code, or a disease synonym."""
    whole = whole_project(facts)
    text = _or(
        Sql(f"(e.document @@ {_q()} AND (e.kind <> 'project' OR ", match.words) + whole + Sql("))"),
        # Only projects have a card.
        Sql(f"(e.card @@ {_q()} AND NOT ", match.words) + whole + Sql(")"),
    )
    arms = [text]
    arms.extend(_code_arms(match))
    if match.synonym_areas:
        arms.append(
            Sql("(e.kind = 'project' AND e.disease_area_ids && %s::uuid[])", match.synonym_areas)
        )
    return _or(*arms)


def _code_arms(match: Match) -> list[Sql]:
    arms = []
    if match.codes:
        arms.append(Sql("e.codes && %s::text[]", match.codes))
    if match.icd_areas:
        arms.append(
            Sql("(e.kind = 'project' AND e.disease_area_ids && %s::uuid[])", match.icd_areas)
        )
    if match.duo_term:
        sql, params = _sql(
            DataUseCondition.objects.filter(term_id=match.duo_term).values("policy__dataset_id")
        )
        arms.append(Sql(f"(e.kind = 'dataset' AND e.object_id IN ({sql}))", *params))
    return arms


def bucket_sql(match: Match) -> Sql:
    """2: an exact code, title or acronym; 1: the title matches; 0: any other match."""
    return (
        Sql("CASE WHEN ")
        + _exact_sql(match)
        + Sql(f" THEN 2 WHEN e.title_doc @@ {_q()} THEN 1 ELSE 0 END", match.prefix_query)
    )


@dataclass(frozen=True)
class EntryFilters:
    tier: str = ""
    status: str = ""
    organisation: object = None
    organisation_ids: tuple | None = None  # an organisation kind's visible organisations
    disease: object = None
    year: int | None = None


def organisation_sql(facts: PersonFacts) -> Sql:
    """The organisation a row counts under: a project's lead partner only for those who may
    see the project's details (the Partner rule), any other row's own."""
    return (
        Sql("CASE WHEN e.kind <> 'project' OR ")
        + whole_project(facts)
        + Sql(" THEN e.organisation_id END")
    )


def filters_sql(filters: EntryFilters, facts: PersonFacts) -> Sql:
    parts = [TRUE]
    if filters.tier:
        parts.append(Sql("e.tier = %s", filters.tier))
    if filters.status:
        parts.append(Sql("e.status = %s", filters.status))
    if filters.organisation:
        parts.append(organisation_sql(facts) + Sql(" = %s::uuid", str(filters.organisation)))
    if filters.organisation_ids is not None:
        parts.append(
            organisation_sql(facts)
            + Sql(" = ANY(%s::uuid[])", [str(pk) for pk in filters.organisation_ids])
        )
    if filters.disease:
        parts.append(Sql("%s::uuid = ANY(e.disease_area_ids)", str(filters.disease)))
    if filters.year:
        parts.append(Sql("e.year = %s", filters.year))
    return _and(*parts)


@dataclass(frozen=True)
class After:
    bucket: int
    moment: object
    rank: int
    pk: str


def _after_sql(after: After | None, kind_order: list[str]) -> Sql:
    if after is None:
        return TRUE
    rank = Sql("(array_position(%s::text[], m.kind) - 1)", kind_order)
    same = Sql("(m.bucket = %s AND m.moment = %s AND ", after.bucket, after.moment) + rank
    return _or(
        Sql("m.bucket < %s", after.bucket),
        Sql("(m.bucket = %s AND m.moment < %s)", after.bucket, after.moment),
        same + Sql(" > %s)", after.rank),
        same + Sql(" = %s AND m.object_id > %s::uuid)", after.rank, after.pk),
    )


def _matching_cte(kinds, facts, match, filters) -> Sql:
    return (
        Sql("SELECT e.kind, e.object_id, e.tier, e.status, e.year, e.disease_area_ids, e.moment, ")
        + organisation_sql(facts)
        + Sql(" AS organisation_id, ")
        + bucket_sql(match)
        + Sql(f" AS bucket FROM {TABLE} e WHERE ")
        + visible_sql(kinds, facts)
        + Sql(" AND ")
        + match_sql(match, facts)
        + Sql(" AND ")
        + filters_sql(filters, facts)
    )


@dataclass
class EntryAnswer:
    page: list = field(default_factory=list)  # dicts as `selectors._page_rows` returns
    groups: list = field(default_factory=list)  # (kind, tier, status, organisation, year, n)
    areas: list = field(default_factory=list)  # (area id, n)
    organisations: dict = field(default_factory=dict)  # id (text) → {"name", "kind"}, visible


def _page_row(row: dict, kind_order: list[str]) -> dict:
    return {
        "r_kind": row["kind"],
        "r_rank": kind_order.index(row["kind"]),
        "r_id": uuid.UUID(row["object_id"]),
        "r_sort_bucket": row["bucket"],
        "r_sort_moment": parse_datetime(row["moment"]),
    }


def search_entries(
    kinds, facts, match, filters, *, after, size, kind_order, with_facets=True
) -> EntryAnswer:
    """The page (up to `size` rows after `after`) and, with facets, the counts per facet value
    of every matching row the person may see: one statement."""
    kinds = [kind for kind in kinds if kind in INDEXED_KINDS]
    if not kinds:
        return EntryAnswer()
    page = (
        Sql(
            "(SELECT coalesce(json_agg(json_build_object('kind', p.kind, 'object_id', "
            "p.object_id, 'bucket', p.bucket, 'moment', p.moment) ORDER BY p.bucket DESC, "
            "p.moment DESC, p.rank, p.object_id), '[]') FROM (SELECT m.kind, m.object_id, "
            "m.bucket, m.moment, array_position(%s::text[], m.kind) AS rank FROM m WHERE ",
            kind_order,
        )
        + _after_sql(after, kind_order)
        + Sql(" ORDER BY m.bucket DESC, m.moment DESC, rank, m.object_id LIMIT %s) p)", size)
    )
    if with_facets:
        facets = (
            Sql(
                "(SELECT coalesce(json_agg(json_build_array(g.kind, g.tier, g.status, "
                "g.organisation_id, g.year, g.n, g.k)), '[]') FROM (SELECT kind, tier, status, "
                "organisation_id, year, count(*) AS n, "
                "GROUPING(kind, tier, status, organisation_id, year) AS k FROM m "
                "GROUP BY GROUPING SETS ((kind), (tier), (kind, status), (organisation_id), (year))"
                ") g), "
                "(SELECT coalesce(json_agg(json_build_array(a.area, a.n)), '[]') FROM "
                # Rows grouped by their (few distinct) area lists first, then the lists
                # unnested: far fewer rows to unnest than one per match.
                "(SELECT area, sum(d.n) AS n FROM (SELECT disease_area_ids, count(*) AS n "
                "FROM m GROUP BY disease_area_ids) d, unnest(d.disease_area_ids) AS area "
                "GROUP BY area) a), "
                # The counted organisations the person may see, named (the organisation rule,
                # on their own entries; `e` here is the organisation's entry).
                "(SELECT coalesce(json_agg(json_build_array(o.id, o.name, o.kind)), '[]') FROM "
                f"{TABLE} e JOIN organisations_organisation o ON o.id = e.object_id "
                # The counted ones are looked up in a jsonb object built once: the planner
                # cannot estimate how many there are, and probing them one by one cost more.
                "WHERE e.kind = 'organisation' AND (SELECT jsonb_object_agg(c.organisation_id, 1) "
                "FROM (SELECT DISTINCT organisation_id FROM m WHERE organisation_id IS NOT NULL) c) "
                "? e.object_id::text AND "
            )
            + visible_condition("organisation", facts)
            + Sql(")")
        )
    else:
        facets = Sql("'[]'::json, '[]'::json, '[]'::json")
    statement = (
        Sql("WITH m AS MATERIALIZED (")
        + _matching_cte(kinds, facts, match, filters)
        + Sql(") SELECT ")
        + page
        + Sql(", ")
        + facets
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        page_rows, groups, areas, organisations = cursor.fetchone()
    page_rows, groups, areas = (_json(page_rows), _json(groups), _json(areas))
    return EntryAnswer(
        page=[_page_row(row, kind_order) for row in page_rows],
        groups=groups,
        areas=[(uuid.UUID(area), n) for area, n in areas],
        # Keyed by the id as text, as the counts are: a common word counts thousands of
        # organisations, and a UUID object for each cost more than the rest of the reading.
        organisations={pk: {"name": name, "kind": kind} for pk, name, kind in _json(organisations)},
    )


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


# Rows a suggestion first looks among: the most recently changed (see `suggestion_entries`).
RECENT_WINDOW = 500  # per kind


def _exact_sql(match: Match) -> Sql:
    return _or(
        Sql("lower(e.title) = lower(%s)", match.text),
        Sql("(e.kind = 'project' AND lower(e.acronym) = lower(%s))", match.text),
        *_code_arms(match),
    )


INSIDERS_ONLY = ("milestone",)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _micros(moment) -> int:
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def _scope(kinds, facts, filters) -> Sql:
    return visible_sql(kinds, facts) + Sql(" AND ") + filters_sql(filters, facts)


def suggestion_entries(kinds, facts, match, filters, *, after, size, kind_order) -> list[dict]:
    """The first `size` rows in the page order (after `after`), without facets and without
    sorting every match. Bucket by bucket (exact, title, the rest) until the page is full;
    within a bucket the most recent rows first, looked for among the `RECENT_WINDOW` most
    recently changed entries (an index walk) and, only when those cannot settle the order
    (too few matches there: a rare word), among every match (then few, through the text
    indexes). PostgreSQL cannot estimate how many rows a prefix matches, so the choice is
    made here, not by the planner."""
    kinds = [kind for kind in kinds if kind in INDEXED_KINDS]
    if not kinds:
        return []
    exact = _exact_sql(match)
    title = Sql(f"e.title_doc @@ {_q()}", match.prefix_query)
    buckets = [
        (2, exact + Sql(" AND ") + match_sql(match, facts)),
        # A title match is a match: the title's words are in the document and the card.
        (1, title + Sql(" AND NOT ") + exact),
        (0, match_sql(match, facts) + Sql(" AND NOT ") + title + Sql(" AND NOT ") + exact),
    ]
    # Kinds a person who is not staff sees only in their own projects (milestones): few rows,
    # found through the project index, apart from the window (where, being the most recently
    # written rows of many projects, they would crowd out what the person may see).
    insiders_only = [] if facts.staff else [kind for kind in kinds if kind in INSIDERS_ONLY]
    if not facts.insider:
        insiders_only, kinds = (
            [],
            [kind for kind in kinds if kind not in INSIDERS_ONLY or facts.staff],
        )
    windowed = [kind for kind in kinds if kind not in insiders_only]
    rows: list[tuple] = []
    for bucket, condition in buckets:
        need = size - len(rows)
        if need <= 0:
            break
        found: list[tuple] = []
        if windowed:
            where = condition + Sql(" AND ") + _scope(windowed, facts, filters)
            part = None
            if bucket != 2:
                part = _first_recent(where, windowed, bucket, after, need, kind_order)
            if part is None:
                part = _first(Sql(f"{TABLE} e"), where, bucket, after, need, kind_order)
            found.extend(part)
        for kind in insiders_only:
            where = condition + Sql(" AND ") + _scope([kind], facts, filters)
            found.extend(_first(Sql(f"{TABLE} e"), where, bucket, after, need, kind_order))
        found.sort(key=lambda row: (-_micros(row[2]), kind_order.index(row[0]), row[1]))
        rows.extend(found[:need])
    return [
        {
            "r_kind": kind,
            "r_rank": kind_order.index(kind),
            "r_id": object_id,
            "r_sort_bucket": bucket,
            "r_sort_moment": moment,
        }
        for kind, object_id, moment, bucket in rows[:size]
    ]


def _first(source: Sql, where: Sql, bucket: int, after, need: int, kind_order) -> list[tuple]:
    """The first `need` rows of `source` meeting `where`. The matches are gathered first (a
    MATERIALIZED CTE, so through the text indexes): with an ORDER BY … LIMIT over them the
    planner, which cannot estimate how many rows a prefix matches, would rather walk the
    recency index, which for a rare word reads the whole table."""
    statement = (
        Sql("WITH m AS MATERIALIZED (SELECT e.kind, e.object_id, e.moment, ")
        + Sql("%s AS bucket FROM ", bucket)
        + source
        + Sql(" WHERE ")
        + where
        + Sql(") SELECT m.kind, m.object_id, m.moment, m.bucket FROM m WHERE ")
        + _after_sql(after, kind_order)
        + Sql(
            " ORDER BY m.moment DESC, array_position(%s::text[], m.kind), m.object_id LIMIT %s",
            kind_order,
            need,
        )
    )
    return _fetch(statement)


def _first_recent(where: Sql, kinds, bucket: int, after, need: int, kind_order):
    """The first `need` rows among each kind's most recent entries (an index walk per kind),
    or None when those cannot tell. A kind's entries changed after its window's oldest moment
    are all in its window; so matches strictly newer than every full window's oldest moment
    are complete, and in their final order."""
    windows = [
        Sql(
            f"(SELECT * FROM {TABLE} WHERE kind = %s ORDER BY moment DESC, object_id LIMIT %s)",
            kind,
            RECENT_WINDOW,
        )
        for kind in kinds
    ]
    union = Sql("(") + Sql.join(" UNION ALL ", windows) + Sql(") e")
    rows = _first(union, where, bucket, after, need, kind_order)
    if len(rows) < need:
        return None
    edges = Sql.join(
        " UNION ALL ",
        [Sql("(SELECT min(w.moment), count(*) FROM ") + window + Sql(" w)") for window in windows],
    )
    full = [oldest for oldest, count in _fetch(edges) if count >= RECENT_WINDOW]
    return rows if not full or rows[-1][2] > max(full) else None


def _fetch(statement: Sql) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement.text, statement.params)
        return cursor.fetchall()
