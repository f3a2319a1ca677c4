"""Access rules for organisations, registered into the one policy (`apps.access.policy`).

Imported from `OrganisationsConfig.ready()` so the rules exist before any request:

| action        | who                                                                      |
|---------------|--------------------------------------------------------------------------|
| view          | everyone for approved organisations; its own people and staff otherwise |
| view_details  | its member list: its own current people, and staff                       |
| manage        | its current admins (any status, so a proposer can edit), and staff      |
| moderate      | portal staff (approve, reject, suspend, reinstate, import)               |

Pages reach organisations only through `organisation_get_for_user` / `_for_admin` below.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from apps.access.policy import NOTHING, Action, can, get_for_user, rule
from apps.access.policy.subjects import is_signed_in, is_staff
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Organisation,
    OrganisationStatus,
)


def _own_organisation_ids(user, *, admin: bool = False):
    affiliations = Affiliation.objects.filter(user_id=user.pk, ended_at__isnull=True)
    if admin:
        affiliations = affiliations.filter(role=AffiliationRole.ADMIN)
    return affiliations.values("organisation_id")


@rule(Organisation, Action.VIEW)
def organisation_view(user) -> Q:
    if is_staff(user):
        return Q()
    public = Q(status=OrganisationStatus.APPROVED)
    if not is_signed_in(user):
        return public
    return public | Q(id__in=_own_organisation_ids(user))


@rule(Organisation, Action.VIEW_DETAILS)
def organisation_view_members(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return Q(id__in=_own_organisation_ids(user))


@rule(Organisation, Action.MANAGE, Action.EDIT)
def organisation_manage(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return Q(id__in=_own_organisation_ids(user, admin=True))


@rule(Organisation, Action.MODERATE)
def organisation_moderate(user) -> Q:
    return Q() if is_staff(user) else NOTHING


def organisation_get_for_user(user, slug: str) -> Organisation:
    """The organisation if `user` may see its profile; 404 otherwise."""
    return get_for_user(user, Organisation.objects.all(), slug=slug)


def organisation_get_for_admin(user, slug: str) -> Organisation:
    """For management pages: 404 unless the person belongs to it (or is staff), 403 for members.

    An outsider must learn nothing about another organisation's people or invitations, so they
    get the same 404 as for a missing organisation; a member knows it and is told no.
    """
    organisation = get_for_user(user, Organisation.objects.all(), slug=slug)
    if not can(user, Action.VIEW_DETAILS, organisation):
        raise Http404("No such organisation.")
    if not can(user, Action.MANAGE, organisation):
        raise PermissionDenied("Only the organisation's admins can do this.")
    return organisation


def can_see_members(user, organisation: Organisation) -> bool:
    return can(user, Action.VIEW_DETAILS, organisation)


def can_manage(user, organisation: Organisation) -> bool:
    return can(user, Action.MANAGE, organisation)
