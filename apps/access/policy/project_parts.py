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

from django.db.models import Q

from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.projects import insider_q, project_details_q
from apps.access.policy.subjects import is_signed_in, is_staff
from apps.organisations.models import Affiliation, AffiliationRole, OrganisationStatus
from apps.projects.models import Biomarker, Membership, Partner, WorkPackage


def _administered_organisation_ids(user):
    return Affiliation.objects.filter(
        user_id=user.pk,
        ended_at__isnull=True,
        role=AffiliationRole.ADMIN,
        organisation__status=OrganisationStatus.APPROVED,
    ).values("organisation_id")


def _project_details_q(user) -> Q:
    """Rows whose project `user` may see in detail (the project rule, on the joined project)."""
    return project_details_q(user, prefix="project__")


@rule(Partner, Action.VIEW)
def partner_view(user) -> Q:
    if is_staff(user):
        return Q()
    own = (
        Q(organisation_id__in=_administered_organisation_ids(user))
        if is_signed_in(user)
        else NOTHING
    )
    return _project_details_q(user) | own


@rule(Partner, Action.MANAGE)
def partner_manage(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return Q(organisation_id__in=_administered_organisation_ids(user))


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
