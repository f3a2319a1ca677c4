"""Who the user is, for the rules. Their standing — approved organisations, partner projects,
memberships, committee seats, grants — comes from their access facts (`apps.access.facts`),
read once per access version and cached, and reaches each statement as parameters
(`field__one_of=<ids>`, on PostgreSQL `field = ANY(%s)`): the SQL text of a query shape is then
the same for everybody, and PostgreSQL plans a small statement instead of re-deriving the
person in subqueries."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db.models import Exists, Field, Lookup, OuterRef, Q, QuerySet
from django.db.models.expressions import Col
from django.db.models.fields.related import ForeignObject
from django.db.models.lookups import Exact
from django.db.models.sql.query import Query
from django.utils import timezone

from apps.access.facts import access_facts
from apps.access.models import AccessGrant, CommitteeMember, GrantStatus
from apps.access.policy import NOTHING
from apps.organisations.models import Affiliation, AffiliationRole, OrganisationStatus
from apps.projects.models import (
    Membership,
    MembershipRole,
    Partner,
    PartnerStatus,
    Project,
    ProjectStatus,
    SummaryVisibility,
)

# Projects the wider portal may know about; proposed, rejected and withdrawn ones are internal.
LIVE_PROJECT_STATUSES = (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED, ProjectStatus.ARCHIVED)
EDITOR_ROLES = (MembershipRole.COORDINATOR, MembershipRole.CONTRIBUTOR)


# One rule often embeds the same subquery many times (the download rule names the user's
# organisations a dozen times). Building a queryset costs a fraction of a millisecond of ORM
# work, so while one statement's condition is built each is built once and shared: Django
# clones a queryset wherever it is embedded, so sharing cannot leak one use into another.
_shared: ContextVar[dict | None] = ContextVar("policy_shared_subqueries", default=None)


@contextmanager
def shared_subqueries() -> Iterator[None]:
    """Within the block, each subject subquery is built once per user and arguments.
    Scoped to building one condition, so nothing outlives the statement it serves."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _once(key: tuple, build: Callable[[], QuerySet]) -> QuerySet:
    cache = _shared.get()
    if cache is None:
        return build()
    if key not in cache:
        cache[key] = build()
    return cache[key]


class OneOf(Lookup):
    """`field__one_of=<ids or user subquery>`: membership in a small per-user set, exactly `IN`.

    Given ids (a person's facts), PostgreSQL gets ONE array parameter, `field = ANY(%s)`, so
    the statement's text does not change with the number of ids; other databases get `IN`.

    On PostgreSQL it is written `field = ANY(ARRAY(subquery))`: the set becomes an InitPlan,
    computed once per statement and costed once. As `IN`, it was a hashed SubPlan attached
    to the project probe of each row, which the planner costed again for every probe and so
    sorted all rows after a sync cursor instead of walking the (updated_at, id) index."""

    lookup_name = "one_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        if isinstance(self.rhs, list | tuple | set | frozenset):
            return list(self.rhs)
        if not isinstance(self.rhs, Query):
            raise TypeError("`one_of` takes ids or a subquery (a queryset of one column).")
        # As `In` does: a set has no order, and a model's default ordering could add joins.
        self.rhs.clear_ordering(clear_default=True)
        return super().get_prep_lookup()

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, (*lhs_params, *rhs_params)

    def _values(self, connection) -> list:
        field = self.lhs.output_field
        return [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]

    def as_sql(self, compiler, connection):
        if isinstance(self.rhs, list):
            if not self.rhs:
                raise EmptyResultSet
            lhs, lhs_params = self.process_lhs(compiler, connection)
            marks = ", ".join(["%s"] * len(self.rhs))
            return f"{lhs} IN ({marks})", (*lhs_params, *self._values(connection))
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        if isinstance(self.rhs, list):
            lhs, lhs_params = self.process_lhs(compiler, connection)
            return f"{lhs} = ANY(%s)", (*lhs_params, self._values(connection))
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


Field.register_lookup(OneOf)
ForeignObject.register_lookup(OneOf)  # foreign keys keep a lookup table of their own


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff(user) -> bool:
    return is_signed_in(user) and user.is_staff


_as_subqueries: ContextVar[bool] = ContextVar("policy_facts_as_subqueries", default=False)


@contextmanager
def facts_as_subqueries() -> Iterator[None]:
    """Within the block, rules read a person's standing from the tables, in the statement,
    as before access facts existed: for a statement that shadows those tables with their
    state at another moment (the change feed's "could they see it before?",
    `apps.changes.selectors.seen_before`)."""
    token = _as_subqueries.set(True)
    try:
        yield
    finally:
        _as_subqueries.reset(token)


def facts(user):
    """The signed-in `user`'s access facts (one probe of their version per request), or, for
    a stand-in asked on behalf of many people at once (`policy_subqueries`) and inside
    `facts_as_subqueries()`, the same facts as subqueries."""
    if _as_subqueries.get() or getattr(user, "policy_subqueries", False):
        return _Subqueries(user.pk)
    return access_facts(user)


class _Subqueries:
    """The facts as subqueries over the person's id, for `apps.notifications.audience`: it
    compiles a rule once for a stand-in (`policy_subqueries = True`) and rebinds the stand-in's
    id to each person's, so the rule's SQL must depend on the person only through that id.
    Same definitions as `apps.access.facts`, evaluated by the database instead."""

    def __init__(self, user_pk):
        self.user_pk = user_pk

    def _affiliations(self, **extra) -> QuerySet:
        return Affiliation.objects.filter(user_id=self.user_pk, ended_at__isnull=True, **extra)

    @property
    def active_organisation_ids(self) -> QuerySet:
        return _once(
            ("organisations", self.user_pk),
            lambda: self._affiliations(organisation__status=OrganisationStatus.APPROVED).values(
                "organisation_id"
            ),
        )

    @property
    def current_organisation_ids(self) -> QuerySet:
        return self._affiliations().values("organisation_id")

    @property
    def admin_organisation_ids(self) -> QuerySet:
        return self._affiliations(
            role=AffiliationRole.ADMIN, organisation__status=OrganisationStatus.APPROVED
        ).values("organisation_id")

    @property
    def own_admin_organisation_ids(self) -> QuerySet:
        return self._affiliations(role=AffiliationRole.ADMIN).values("organisation_id")

    @property
    def consortium_project_ids(self) -> QuerySet:
        return _once(
            ("consortium", self.user_pk),
            lambda: Partner.objects.filter(
                status=PartnerStatus.ACTIVE, organisation_id__in=self.active_organisation_ids
            ).values("project_id"),
        )

    def member_project_ids(self, roles=None) -> QuerySet:
        key = ("members", self.user_pk, None if roles is None else tuple(roles))
        return _once(key, lambda: self._member_project_ids(roles))

    def _member_project_ids(self, roles) -> QuerySet:
        memberships = Membership.objects.filter(
            user_id=self.user_pk,
            ended_at__isnull=True,
            organisation_id__in=self.active_organisation_ids,
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()))
        memberships = memberships.filter(
            Exists(
                Partner.objects.filter(
                    project_id=OuterRef("project_id"),
                    organisation_id=OuterRef("organisation_id"),
                    status=PartnerStatus.ACTIVE,
                )
            )
        )
        if roles is not None:
            memberships = memberships.filter(role__in=roles)
        return memberships.values("project_id")

    @property
    def seat_project_ids(self) -> QuerySet:
        return CommitteeMember.objects.filter(
            user_id=self.user_pk,
            ended_at__isnull=True,
            organisation_id__in=self.active_organisation_ids,
        ).values("committee__project_id")

    @property
    def grant_dataset_ids(self) -> QuerySet:
        now = timezone.now()
        return AccessGrant.objects.filter(
            user_id=self.user_pk,
            status=GrantStatus.ACTIVE,
            valid_from__lte=now,
            valid_until__gt=now,
            organisation_id__in=self.active_organisation_ids,
        ).values("dataset_id")


def active_organisation_ids(user):
    """Organisations the user currently belongs to that are approved (suspension bites here)."""
    return facts(user).active_organisation_ids


def has_active_affiliation_q(user) -> Q:
    """A condition true when the user has at least one approved affiliation."""
    known = facts(user)
    if isinstance(known, _Subqueries):
        return Q(Exists(known.active_organisation_ids))
    return fact_q(bool(known.active_organisation_ids))


def consortium_project_ids(user):
    """Projects with an active partner organisation the user belongs to: the consortium tier."""
    return facts(user).consortium_project_ids


def member_project_ids(user, roles=None):
    """Projects where the user holds a current membership (not ended, not past its end date)
    through an organisation they still belong to and that is still an active partner."""
    return facts(user).member_project_ids(roles)


# --- What is already known about one project ------------------------------------------------
# The project page asks the policy a dozen times about rows of ONE project whose standing the
# page has already established (live or not, the user's consortium or not, their role). Each
# rule would otherwise rebuild that standing as subqueries over every project, which costs
# more to build and plan than the rows cost to fetch. When a queryset is constrained to that
# project (`project_id = P` at the top level of its WHERE, see `facts_for`), the conditions
# about "the project at `path`" are replaced by their known truth value: the rows can only
# belong to P, so the statement keeps exactly the same rows.
TRUE = ~Q(pk__in=[])  # met by every row (Django drops it from the SQL), the opposite of NOTHING


@dataclass(frozen=True)
class ProjectFacts:
    """One user's standing in one project, answered by the policy's own subqueries."""

    user_pk: object
    project_pk: object
    live: bool
    public_summary: bool
    consortium: bool
    member: bool
    editor: bool
    coordinator: bool

    @property
    def insider(self) -> bool:
        return self.consortium or self.member


@dataclass(frozen=True)
class _InForce:
    facts: ProjectFacts
    path: str  # "" when the rows are projects, "project__" when they belong to one


_page_facts: ContextVar[ProjectFacts | None] = ContextVar("policy_page_facts", default=None)
_in_force: ContextVar[_InForce | None] = ContextVar("policy_facts_in_force", default=None)


def with_project_facts(user, projects: QuerySet) -> QuerySet:
    """`projects` as they are: `user`'s standing in each now comes from their access facts
    (kept so that callers which fetch a page's project need not know where it comes from)."""
    return projects


def project_facts(user, project) -> ProjectFacts:
    """`user`'s standing in `project`, from their access facts (no statement of its own)."""
    standing = dict.fromkeys(("consortium", "member", "editor", "coordinator"), False)
    if is_signed_in(user):
        known = facts(user)
        standing = {
            "consortium": project.pk in known.consortium_project_ids,
            "member": project.pk in known.member_project_ids(),
            "editor": project.pk in known.member_project_ids(EDITOR_ROLES),
            "coordinator": project.pk in known.member_project_ids([MembershipRole.COORDINATOR]),
        }
    return ProjectFacts(
        user_pk=getattr(user, "pk", None),
        project_pk=project.pk,
        live=project.status in LIVE_PROJECT_STATUSES,
        public_summary=project.summary_visibility == SummaryVisibility.PUBLIC,
        **standing,
    )


@contextmanager
def _holding(variable: ContextVar, value) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def known_project(facts: ProjectFacts):
    """Within the block, statements constrained to `facts.project_pk` use `facts`."""
    return _holding(_page_facts, facts)


def page_fact(user, project, name: str) -> bool | None:
    """A fact of the page's known project (`known_project`), or None when not known."""
    facts = _page_facts.get()
    if facts is None or facts.project_pk != project.pk or facts.user_pk != user.pk:
        return None
    return getattr(facts, name)


def facts_for(queryset: QuerySet) -> _InForce | None:
    """The page's facts when every row of `queryset` is the known project or one of its own
    rows: an equality on the row's `project` foreign key (or on a project's primary key) at
    the top level of an AND-ed, un-negated WHERE. Anything else gets the full rules."""
    facts = _page_facts.get()
    query = queryset.query
    if facts is None or query.combinator or query.where.negated or query.where.connector != "AND":
        return None
    for child in query.where.children:
        path = _project_path(query, child, facts.project_pk)
        if path is not None:
            return _InForce(facts, path)
    return None


def _project_path(query: Query, child, project_pk) -> str | None:
    if not (isinstance(child, Exact) and isinstance(child.lhs, Col)):
        return None
    if child.lhs.alias != query.base_table or child.rhs != project_pk:
        return None
    field = child.lhs.target
    if query.model is Project and field is Project._meta.pk:
        return ""
    if field.name == "project" and field.model is query.model and field.related_model is Project:
        return "project__"
    return None


def facts_in_force(in_force: _InForce | None):
    """Scoped to building one statement's condition (see `apps.access.policy.condition`)."""
    return _holding(_in_force, in_force)


def known_fact(user, path: str, name: str) -> bool | None:
    """The truth of fact `name` about the project at `path` of the rows being decided, when
    known for `user` (None: build the condition). `path` is relative to the rows of the
    statement whose condition is being built, never to a nested subquery's rows."""
    in_force = _in_force.get()
    if in_force is None or in_force.path != path:
        return None
    if user is not None and in_force.facts.user_pk != user.pk:
        return None
    return getattr(in_force.facts, name)


def truth_of(condition) -> bool | None:
    """The value of a condition made only of `TRUE` and `NOTHING` (facts folded in), or None
    when any part of it needs the database."""
    if isinstance(condition, tuple):  # a leaf: only NOTHING's own `pk__in=[]` is known
        return False if condition == NOTHING.children[0] else None
    if not isinstance(condition, Q) or not condition.children:
        return None
    if condition.connector not in (Q.AND, Q.OR):
        return None
    values = [truth_of(child) for child in condition.children]
    decisive = condition.connector == Q.OR  # one true part settles an OR, one false an AND
    if decisive in values:
        value = decisive
    elif None in values:
        return None
    else:
        value = not decisive
    return not value if condition.negated else value


def fact_q(value: bool) -> Q:
    return TRUE if value else NOTHING


def project_id_lookup(path: str, lookup: str) -> str:
    """The lookup on the id of the project at `path`: `project__` → `project_id__<lookup>`,
    `dataset__project__` → `dataset__project_id__<lookup>`, "" (the rows are projects) →
    `id__<lookup>`."""
    return f"{path.removesuffix('__')}_id__{lookup}" if path else f"id__{lookup}"


_ROLE_FACTS = {None: "member", EDITOR_ROLES: "editor", (MembershipRole.COORDINATOR,): "coordinator"}


def member_of_project_q(user, path: str, roles=None, lookup: str = "in") -> Q:
    """The user is a current member of the project at `path` (with one of `roles`)."""
    name = _ROLE_FACTS.get(None if roles is None else tuple(roles))
    known = known_fact(user, path, name) if name else None
    if known is not None:
        return fact_q(known)
    return Q(**{project_id_lookup(path, lookup): member_project_ids(user, roles=roles)})
