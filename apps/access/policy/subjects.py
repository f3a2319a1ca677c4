"""Who the user is, as SQL subqueries. Nothing here runs a query by itself: each function
returns a queryset meant to be embedded (`__in=`) in the statement that asks."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Exists, Field, Lookup, OuterRef, Q, QuerySet
from django.db.models.fields.related import ForeignObject
from django.db.models.sql.query import Query
from django.utils import timezone

from apps.organisations.models import Affiliation, OrganisationStatus
from apps.projects.models import Membership, MembershipRole, Partner, PartnerStatus, ProjectStatus

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
    """`field__one_of=<user subquery>`: membership in a small per-user set, exactly `IN`.

    On PostgreSQL it is written `field = ANY(ARRAY(subquery))`: the set becomes an InitPlan,
    computed once per statement and costed once. As `IN`, it was a hashed SubPlan attached
    to the project probe of each row, which the planner costed again for every probe and so
    sorted all rows after a sync cursor instead of walking the (updated_at, id) index."""

    lookup_name = "one_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        if not isinstance(self.rhs, Query):
            raise TypeError("`one_of` takes a subquery (a queryset of one column).")
        # As `In` does: a set has no order, and a model's default ordering could add joins.
        self.rhs.clear_ordering(clear_default=True)
        return super().get_prep_lookup()

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, (*lhs_params, *rhs_params)

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


Field.register_lookup(OneOf)
ForeignObject.register_lookup(OneOf)  # foreign keys keep a lookup table of their own


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff(user) -> bool:
    return is_signed_in(user) and user.is_staff


def active_organisation_ids(user) -> QuerySet:
    """Organisations the user currently belongs to that are approved (suspension bites here)."""
    return _once(
        ("organisations", user.pk),
        lambda: Affiliation.objects.filter(
            user_id=user.pk,
            ended_at__isnull=True,
            organisation__status=OrganisationStatus.APPROVED,
        ).values("organisation_id"),
    )


def has_active_affiliation_q(user) -> Q:
    """A condition true when the user has at least one approved affiliation (inline EXISTS)."""
    return Q(Exists(active_organisation_ids(user)))


def consortium_project_ids(user) -> QuerySet:
    """Projects with an active partner organisation the user belongs to: the consortium tier."""
    return _once(
        ("consortium", user.pk),
        lambda: Partner.objects.filter(
            status=PartnerStatus.ACTIVE, organisation_id__in=active_organisation_ids(user)
        ).values("project_id"),
    )


def member_project_ids(user, roles=None) -> QuerySet:
    """Projects where the user holds a current membership (not ended, not past its end date)
    through an organisation they still belong to and that is still an active partner."""
    key = ("members", user.pk, None if roles is None else tuple(roles))
    return _once(key, lambda: _member_project_ids(user, roles))


def _member_project_ids(user, roles) -> QuerySet:
    today = timezone.localdate()
    memberships = Membership.objects.filter(
        user_id=user.pk, ended_at__isnull=True, organisation_id__in=active_organisation_ids(user)
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
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
