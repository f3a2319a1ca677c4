"""Organisations: who sees an organisation, its people, and who runs it.

| action        | who                                                                      |
|---------------|--------------------------------------------------------------------------|
| view          | everyone for approved organisations; its own people and staff otherwise |
| view_details  | its member list: its own current people, and staff                       |
| manage        | its current admins (any status, so a proposer can edit), and staff      |
| moderate      | portal staff (approve, reject, suspend, reinstate, import)               |

Pages reach organisations only through `organisation_get_for_user` / `_for_admin` in
`apps.organisations.selectors`.
"""

from django.db.models import Q

from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.subjects import is_signed_in, is_staff
from apps.organisations.models import Affiliation, AffiliationRole, Organisation, OrganisationStatus


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
