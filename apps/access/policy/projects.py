"""Projects, and the project-level rights every item inherits."""

from django.db.models import Q

from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.subjects import (
    EDITOR_ROLES,
    LIVE_PROJECT_STATUSES,
    consortium_project_ids,
    fact_q,
    is_signed_in,
    is_staff,
    known_fact,
    member_of_project_q,
    member_project_ids,
)
from apps.projects.models import MembershipRole, Project, SummaryVisibility


def insider_q(user, prefix: str = "") -> Q:
    """The user belongs to the consortium of the project at `prefix` (or is a current member)."""
    if not is_signed_in(user):
        return NOTHING
    known = known_fact(user, prefix, "insider")
    if known is not None:
        return fact_q(known)
    return Q(**{f"{prefix}id__one_of": consortium_project_ids(user)}) | Q(
        **{f"{prefix}id__one_of": member_project_ids(user)}
    )


def live_q(prefix: str = "") -> Q:
    known = known_fact(None, prefix, "live")
    if known is not None:
        return fact_q(known)
    return Q(**{f"{prefix}status__in": LIVE_PROJECT_STATUSES})


def public_summary_q(prefix: str = "") -> Q:
    """The project at `prefix` shows its summary to everyone."""
    known = known_fact(None, prefix, "public_summary")
    if known is not None:
        return fact_q(known)
    return Q(**{f"{prefix}summary_visibility": SummaryVisibility.PUBLIC})


def project_listed_q(user, prefix: str = "") -> Q:
    """The project at `prefix` is listed for `user`: every live project (members-only ones as
    a card), plus the user's own proposed or closed ones."""
    if is_staff(user):
        return Q()
    own = Q(**{f"{prefix}proposed_by_id": user.pk}) if is_signed_in(user) else NOTHING
    return live_q(prefix) | insider_q(user, prefix) | own


@rule(Project, Action.VIEW)
def project_view(user) -> Q:
    """Listed in the catalogue: every live project (members-only ones as a card), plus the
    user's own proposed or closed ones."""
    return project_listed_q(user)


def project_details_q(user, prefix: str = "") -> Q:
    """The project at `prefix` may be seen in detail: a live public project, or the user's
    consortium. With a prefix the test joins the row's own project instead of building the
    set of every such project, which is what the project page's sections need."""
    if is_staff(user):
        return Q()
    public = live_q(prefix) & public_summary_q(prefix)
    return public | insider_q(user, prefix)


@rule(Project, Action.VIEW_DETAILS)
def project_view_details(user) -> Q:
    return project_details_q(user)


@rule(Project, Action.CONTRIBUTE)
def project_contribute(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return member_of_project_q(user, "", roles=EDITOR_ROLES)


@rule(Project, Action.EDIT, Action.MANAGE)
def project_manage(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return member_of_project_q(user, "", roles=[MembershipRole.COORDINATOR])


@rule(Project, Action.MODERATE)
def project_moderate(user) -> Q:
    return Q() if is_staff(user) else NOTHING
