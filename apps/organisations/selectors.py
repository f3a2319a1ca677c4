"""Reads for organisation pages. Each returns a queryset narrowed by the access policy."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django_countries.fields import Country

from apps.access.policy import Action, can, get_for_user, visible
from apps.access.policy.project_parts import partnered_by_q
from apps.organisations.models import (
    Affiliation,
    Invitation,
    JoinRequest,
    Organisation,
    OrganisationImport,
    OrganisationKind,
    OrganisationStatus,
)
from apps.projects.models import Project

DIRECTORY_SORTS = {
    "name": "name",
    "-name": "-name",
    "kind": "kind",
    "-kind": "-kind",
    "country": "country",
    "-country": "-country",
    "joined": "status_changed_at",
    "-joined": "-status_changed_at",
}


def directory_organisations(
    user, *, q: str = "", kind: str = "", country: str = "", sort: str = ""
) -> QuerySet:
    """Approved organisations for the public directory, filtered and sorted in SQL."""
    organisations = visible(user, Organisation.objects.approved())
    if q:
        organisations = organisations.filter(name__icontains=q.strip())
    if kind in OrganisationKind.values:
        organisations = organisations.filter(kind=kind)
    if country:
        organisations = organisations.filter(country=country.upper())
    order = DIRECTORY_SORTS.get(sort, "name")
    return organisations.order_by(order, "name", "id")


def directory_countries() -> list[Country]:
    """Countries that appear among approved organisations, for the filter (one query)."""
    codes = (
        Organisation.objects.approved()
        .order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )
    return sorted((Country(code=code) for code in codes), key=lambda country: country.name)


def organisation_members(organisation: Organisation) -> QuerySet:
    return (
        Affiliation.objects.current()
        .filter(organisation=organisation)
        .select_related("user")
        .order_by("-role", "user__last_name", "user__first_name", "user__email")
    )


def organisation_projects(user, organisation: Organisation) -> QuerySet:
    """Projects `user` may find in which the organisation is an active partner that `user`
    may know of: a members-only project names only its lead to outsiders, so an organisation's
    other partnerships there stay off its profile (the catalogue's rule, from the policy)."""
    projects = Project.objects.filter(partnered_by_q(user, Q(organisation=organisation)))
    return visible(user, projects, Action.VIEW).order_by("acronym")


def organisation_invitations(organisation: Organisation) -> QuerySet:
    return Invitation.objects.filter(organisation=organisation).select_related(
        "invited_by", "accepted_by"
    )


def organisation_join_requests(organisation: Organisation) -> QuerySet:
    return JoinRequest.objects.filter(
        organisation=organisation, status=JoinRequest.Status.PENDING
    ).select_related("user")


def my_affiliations(user) -> QuerySet:
    """Current affiliations, whatever the organisation's status (a proposer sees 'pending')."""
    return (
        Affiliation.objects.current()
        .filter(user=user)
        .select_related("organisation")
        .annotate(
            pending_join_requests=Count(
                "organisation__join_requests",
                filter=Q(organisation__join_requests__status=JoinRequest.Status.PENDING),
            ),
            # The last admin is not offered "Leave" (the service would refuse it).
            admins=Subquery(
                Affiliation.objects.current()
                .admins()
                .filter(organisation=OuterRef("organisation"))
                .values("organisation")
                .annotate(n=Count("pk"))
                .values("n")
            ),
        )
        .order_by("organisation__name")
    )


def my_join_requests(user) -> QuerySet:
    return JoinRequest.objects.filter(user=user, status=JoinRequest.Status.PENDING).select_related(
        "organisation"
    )


def staff_queue() -> QuerySet:
    """Organisations awaiting approval, oldest first: the first thing staff see."""
    return (
        Organisation.objects.pending()
        .select_related("proposed_by")
        .prefetch_related("domains")
        .order_by("created_at")
    )


def staff_organisations(*, q: str = "", status: str = "", sort: str = "") -> QuerySet:
    organisations = Organisation.objects.all()
    if q:
        organisations = organisations.filter(
            Q(name__icontains=q)
            | Q(ror_id=q.strip().lower())
            | Q(domains__domain=q.strip().lower())
        ).distinct()
    if status in OrganisationStatus.values:
        organisations = organisations.filter(status=status)
    order = {
        "name": "name",
        "-name": "-name",
        "status": "status",
        "-status": "-status",
        "changed": "status_changed_at",
        "-changed": "-status_changed_at",
    }.get(sort, "name")
    return organisations.order_by(order, "name", "id")


def admin_count(organisation: Organisation) -> int:
    """Current admins: the last one can neither step down, be removed nor leave, so the pages
    offer none of those to them (the services refuse it anyway)."""
    return Affiliation.objects.current().admins().filter(organisation=organisation).count()


def my_standing(user, organisation: Organisation) -> dict:
    """The signed-in person's own relation to `organisation`, for the profile's buttons."""
    if not getattr(user, "is_authenticated", False):
        return {"my_affiliation": None, "my_join_request": None, "i_am_sole_admin": False}
    mine = Affiliation.objects.current().filter(user=user, organisation=organisation).first()
    return {
        "my_affiliation": mine,
        "i_am_sole_admin": bool(mine and mine.is_admin and admin_count(organisation) == 1),
        "my_join_request": JoinRequest.objects.filter(
            user=user, organisation=organisation, status=JoinRequest.Status.PENDING
        ).first(),
    }


def invitations_for_user(user) -> QuerySet:
    """Open invitations addressed to one of the person's verified e-mail addresses."""
    from allauth.account.models import EmailAddress
    from django.db.models.functions import Lower

    addresses = (
        EmailAddress.objects.filter(user=user, verified=True)
        .annotate(address=Lower("email"))
        .values("address")
    )
    return (
        Invitation.objects.open()
        .filter(Q(email__in=addresses) | Q(email=user.email.lower()))
        .filter(organisation__status=OrganisationStatus.APPROVED)
        .select_related("organisation", "invited_by")
        .order_by("expires_at")
    )


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


RECENT_IMPORTS_SHOWN = 10


def recent_imports() -> QuerySet:
    """The staff console's latest CSV imports, without their files."""
    return (
        OrganisationImport.objects.exclude(status=OrganisationImport.Status.CHECKED)
        .defer("text", "errors")
        .select_related("created_by")[:RECENT_IMPORTS_SHOWN]
    )


def organisation_import_get_for_staff(user, import_id) -> OrganisationImport:
    """An import for its progress page: portal staff only, 404 for anyone else or no such id."""
    if not (user.is_staff and user.is_active):
        raise Http404("No such import.")
    found = OrganisationImport.objects.defer("text").filter(pk=import_id).first()
    if found is None:
        raise Http404("No such import.")
    return found
