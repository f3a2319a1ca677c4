"""Who the user is, as SQL subqueries. Nothing here runs a query by itself: each function
returns a queryset meant to be embedded (`__in=`) in the statement that asks."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.organisations.models import Affiliation, OrganisationStatus
from apps.projects.models import Membership, MembershipRole, Partner, PartnerStatus, ProjectStatus

# Projects the wider portal may know about; proposed, rejected and withdrawn ones are internal.
LIVE_PROJECT_STATUSES = (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED, ProjectStatus.ARCHIVED)
EDITOR_ROLES = (MembershipRole.COORDINATOR, MembershipRole.CONTRIBUTOR)


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff(user) -> bool:
    return is_signed_in(user) and user.is_staff


def active_organisation_ids(user) -> QuerySet:
    """Organisations the user currently belongs to that are approved (suspension bites here)."""
    return Affiliation.objects.filter(
        user_id=user.pk, ended_at__isnull=True, organisation__status=OrganisationStatus.APPROVED
    ).values("organisation_id")


def has_active_affiliation_q(user) -> Q:
    """A condition true when the user has at least one approved affiliation (inline EXISTS)."""
    return Q(Exists(active_organisation_ids(user)))


def consortium_project_ids(user) -> QuerySet:
    """Projects with an active partner organisation the user belongs to: the consortium tier."""
    return Partner.objects.filter(
        status=PartnerStatus.ACTIVE, organisation_id__in=active_organisation_ids(user)
    ).values("project_id")


def member_project_ids(user, roles=None) -> QuerySet:
    """Projects where the user holds a current membership (not ended, not past its end date)
    through an organisation they still belong to and that is still an active partner."""
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
