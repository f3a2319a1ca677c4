"""The rows that hang off a project. Project rules themselves are in `projects.py`.

| model       | action | who                                                                  |
|-------------|--------|----------------------------------------------------------------------|
| Partner     | view   | whoever may see the project's details; admins of the organisation  |
| Partner     | manage | current admins of the (approved) partner organisation: accept,     |
|             |        | decline, leave. Not staff: an organisation answers for itself.      |
| Membership  | view   | the consortium, staff, and the person themself                     |
| WorkPackage | view   | whoever may see the project's details                               |
| Biomarker   | view   | whoever may see the project's details                               |
"""

from django.db.models import Exists, OuterRef, Q

from apps.access.policy import NOTHING, Action, _checked, rule
from apps.access.policy.projects import insider_q, project_details_q, project_listed_q
from apps.access.policy.subjects import facts, is_signed_in, is_staff
from apps.projects.models import (
    Biomarker,
    Membership,
    Partner,
    PartnerRole,
    PartnerStatus,
    WorkPackage,
)


def _administered_organisation_ids(user) -> tuple:
    """Approved organisations the user is a current admin of (from their access facts)."""
    return facts(user).admin_organisation_ids


def _project_details_q(user) -> Q:
    """Rows whose project `user` may see in detail (the project rule, on the joined project)."""
    return project_details_q(user, prefix="project__")


@rule(Partner, Action.VIEW)
def partner_view(user) -> Q:
    if is_staff(user):
        return Q()
    own = (
        Q(organisation_id__one_of=_administered_organisation_ids(user))
        if is_signed_in(user)
        else NOTHING
    )
    return _project_details_q(user) | own


@rule(Partner, Action.MANAGE)
def partner_manage(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return Q(organisation_id__one_of=_administered_organisation_ids(user))


@rule(Membership, Action.VIEW)
def membership_view(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return insider_q(user, prefix="project__") | Q(user_id=user.pk)


@rule(WorkPackage, Action.VIEW)
def work_package_view(user) -> Q:
    return _project_details_q(user)


@rule(Biomarker, Action.VIEW)
def biomarker_view(user) -> Q:
    return _project_details_q(user)


# --- Who learns that an organisation takes part in a project -------------------------------------
def active_lead_q() -> Q:
    """The partner row a project card names: its active lead."""
    return Q(role=PartnerRole.LEAD, status=PartnerStatus.ACTIVE)


def known_partner_q(user) -> Q:
    """Partner rows whose relation `user` may learn (ACCESS.md, "Who learns that something
    exists"): those the Partner view rule shows (every partner of a project whose details the
    user may see; an organisation's own partnerships to its admins), and the active lead of
    any project the user may find, which the project's public card names.

    Every filter, profile and option list that matches projects by partner organisation asks
    this, so a members-only project's other partners never decide what anyone else sees."""
    card_lead = active_lead_q() & project_listed_q(user, "project__")
    return partner_view(user) | card_lead


def card_lead_partners(partners):
    """`partners` narrowed to the active leads a project card names. Only for prefetching onto
    project cards the caller fetched through the policy: whoever may see a card may know its
    lead (the `card_lead` clause of `known_partner_q`), so the rows need no rule of their own
    beyond their card's."""
    return _checked(partners.filter(active_lead_q()))


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
