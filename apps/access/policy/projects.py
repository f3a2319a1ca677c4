"""Projects, and the project-level rights every item inherits."""

from django.db.models import Exists, OuterRef, Q

from apps.access.policy import NOTHING, Action, rule, rule_for
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
from apps.projects.models import (
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    SummaryVisibility,
)


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


# --- Who learns that an organisation takes part in a project -------------------------------------
def known_partner_q(user) -> Q:
    """Partner rows whose relation `user` may learn (ACCESS.md, "Who learns that something
    exists"): those the Partner view rule shows (every partner of a project whose details the
    user may see; an organisation's own partnerships to its admins), and the active lead of
    any project the user may find, which the project's public card names.

    Every filter, profile and option list that matches projects by partner organisation asks
    this, so a members-only project's other partners never decide what anyone else sees."""
    card_lead = Q(role=PartnerRole.LEAD, status=PartnerStatus.ACTIVE) & project_listed_q(
        user, "project__"
    )
    return rule_for(Partner, Action.VIEW)(user) | card_lead


def known_partnerships(user, partners=None):
    """`partners` (default: every partner row) narrowed to those `user` may know of, as
    active partners: what "X is a partner in Y" means in the catalogue, the API and profiles."""
    rows = Partner.objects.all() if partners is None else partners
    return rows.filter(known_partner_q(user), status=PartnerStatus.ACTIVE)


def partnered_by_q(user, organisations: Q) -> Q:
    """Projects with an active partner matching `organisations` (a Q on Partner rows, e.g.
    `Q(organisation_id=...)`) whose partnership `user` may know of: one EXISTS, no join, so
    projects are never repeated."""
    rows = Partner.objects.filter(organisations, project_id=OuterRef("pk"))
    return Q(Exists(known_partnerships(user, rows)))
