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
from apps.access.policy.subjects import facts, is_signed_in, is_staff
from apps.organisations.models import Organisation, OrganisationStatus


def _own_organisation_ids(user, *, admin: bool = False) -> tuple:
    """Organisations of any status the user currently belongs to (as an admin)."""
    known = facts(user)
    return known.own_admin_organisation_ids if admin else known.current_organisation_ids


@rule(Organisation, Action.VIEW)
def organisation_view(user) -> Q:
    if is_staff(user):
        return Q()
    public = Q(status=OrganisationStatus.APPROVED)
    if not is_signed_in(user):
        return public
    return public | Q(id__one_of=_own_organisation_ids(user))


@rule(Organisation, Action.VIEW_DETAILS)
def organisation_view_members(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return Q(id__one_of=_own_organisation_ids(user))


@rule(Organisation, Action.MANAGE, Action.EDIT)
def organisation_manage(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return Q(id__one_of=_own_organisation_ids(user, admin=True))


@rule(Organisation, Action.MODERATE)
def organisation_moderate(user) -> Q:
    return Q() if is_staff(user) else NOTHING
