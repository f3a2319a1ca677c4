"""Reads for project pages. Every queryset starts from `apps.access.policy.visible`."""

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from apps.access.policy import Action, rule_for, visible
from apps.access.policy.project_parts import (
    card_lead_partners,
    known_partnerships,
    partnered_by_q,
)
from apps.access.policy.projects import insider_q
from apps.access.policy.subjects import active_organisation_ids, is_staff, with_project_facts
from apps.diseases.selectors import disease_area_descendant_ids
from apps.organisations.models import Organisation, OrganisationStatus
from apps.projects.models import (
    Biomarker,
    Membership,
    MembershipRole,
    Partner,
    PartnerStatus,
    Project,
    ProjectStatus,
    WorkPackage,
)
from apps.projects.search import project_search

SUGGESTIONS = 20  # at most this many type-ahead suggestions per keystroke
# Catalogue sort keys → ORDER BY; "relevance" only means something with a search text.
SORTS = {
    "title": ("title",),
    "-title": ("-title",),
    "acronym": ("acronym",),
    "-acronym": ("-acronym",),
    "status": ("status", "title"),
    "-status": ("-status", "title"),
    "start_date": ("start_date", "title"),
    "-start_date": ("-start_date", "title"),
    "newest": ("-created_at",),
}


@dataclass
class CatalogueFilters:
    q: str = ""
    disease_areas: list = field(default_factory=list)  # DiseaseArea instances
    organisation: Organisation | None = None
    organisation_name: str = ""  # part of a partner organisation's name (when no `organisation`)
    organisation_kind: str = ""
    status: str = ""
    sort: str = ""
    match_nothing: bool = False


def _true_when(condition: Q) -> Case:
    """A boolean column from a policy Q (which may be the match-all `Q()`)."""
    return Case(
        When(Q(pk__isnull=False) & condition, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def lead_partners_prefetch() -> Prefetch:
    """The lead partners a card names (onto cards fetched through the policy)."""
    return Prefetch(
        "partners",
        queryset=card_lead_partners(Partner.objects.all())
        .select_related("organisation")
        .only("id", "project_id", "role", "status", "organisation__name", "organisation__slug"),
        to_attr="lead_partners",
    )


def projects_with_card_data(user, queryset: QuerySet) -> QuerySet:
    """Annotate `can_view_details` and prefetch what every project card shows."""
    details = rule_for(Project, Action.VIEW_DETAILS)(user)
    return queryset.annotate(can_view_details=_true_when(details)).prefetch_related(
        "disease_areas", lead_partners_prefetch()
    )


def projects_with_page_rights(user) -> QuerySet:
    """Projects annotated with `user`'s standing in each (`policy.project_facts`), answered
    inside the statement that fetches the project: the page's rights and its sections'
    statements are then decided from it (`policy.known_project`)."""
    return with_project_facts(user, Project.objects.all())


def _insider_condition(user) -> Q:
    """The condition of `insider_projects`: the consortium (and current members); staff too."""
    return Q() if is_staff(user) else insider_q(user)


def _partner_filter(user, organisation_q: Q) -> Q:
    """Projects with a matching active partner that `user` may know of (the policy's one
    rule: on a project whose details the user may not see, only its lead is public)."""
    return partnered_by_q(user, organisation_q)


def catalogue(user, filters: CatalogueFilters) -> QuerySet:
    """Projects `user` may find, filtered, searched and ordered — one SQL statement."""
    projects = visible(user, Project.objects.all(), Action.VIEW)
    if filters.match_nothing:
        projects = projects.none()
    if filters.disease_areas:
        area_ids = disease_area_descendant_ids(area.pk for area in filters.disease_areas)
        links = Project.disease_areas.through.objects.filter(
            project_id=OuterRef("pk"), diseasearea_id__in=area_ids
        )
        projects = projects.filter(Exists(links))
    if filters.organisation is not None:
        projects = projects.filter(_partner_filter(user, Q(organisation=filters.organisation)))
    elif filters.organisation_name:
        named = Organisation.objects.approved().filter(name__icontains=filters.organisation_name)
        projects = projects.filter(_partner_filter(user, Q(organisation__in=named)))
    if filters.organisation_kind:
        projects = projects.filter(
            _partner_filter(user, Q(organisation__kind=filters.organisation_kind))
        )
    if filters.status:
        projects = projects.filter(status=filters.status)
    # Outside a members-only project only its card's text may match, rank or count.
    details = rule_for(Project, Action.VIEW_DETAILS)(user)
    projects = project_search(projects, filters.q, full_text=details)
    # The stored search vectors only rank and match inside the database; cards never show them.
    cards = projects_with_card_data(user, projects).defer("search_vector", "card_search_vector")
    return cards.order_by(*catalogue_order(filters))


def catalogue_order(filters: CatalogueFilters) -> tuple:
    if filters.sort in SORTS:
        return (*SORTS[filters.sort], "pk")
    if filters.q:
        return ("-rank", "title", "pk")
    return ("title", "pk")


def catalogue_partner_organisations(user) -> QuerySet:
    """Organisations offered in the partner filter: approved ones with an active partnership
    `user` may know of (the policy's `known_partnerships`) in a project the user may find."""
    projects = visible(user, Project.objects.all(), Action.VIEW)
    partnerships = known_partnerships(
        user, Partner.objects.filter(organisation=OuterRef("pk"), project__in=projects)
    )
    return (
        Organisation.objects.approved()
        .filter(Exists(partnerships))
        .only("id", "name", "slug")
        .order_by("name")
    )


def suggested_partner_organisations(user, text: str, limit: int = SUGGESTIONS) -> QuerySet:
    """Type-ahead for the catalogue's partner filter: up to `limit` of the organisations
    `catalogue_partner_organisations(user)` offers whose name contains `text`, names starting
    with it first."""
    starts = Case(
        When(name__istartswith=text, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    organisations = catalogue_partner_organisations(user).filter(name__icontains=text)
    return organisations.order_by(starts, "name")[:limit]


def insider_projects(user) -> QuerySet:
    """Projects whose consortium the user belongs to (staff: all). Management pages look
    projects up here, so that an outsider gets 404 — not even a hint the page exists."""
    return visible(user, Project.objects.filter(_insider_condition(user)))


def my_memberships(user) -> QuerySet:
    """The user's memberships, current first; ended ones stay for their history."""
    return (
        visible(user, Membership.objects.filter(user=user))
        .select_related("project", "organisation")
        .prefetch_related("project__disease_areas")
        .order_by("ended_at", "project__title")
    )


def my_proposals(user) -> QuerySet:
    return visible(
        user,
        Project.objects.filter(
            proposed_by=user, status__in=[ProjectStatus.PROPOSED, ProjectStatus.REJECTED]
        ),
    ).order_by("-created_at")


def pending_activation(user) -> QuerySet:
    """The staff queue: proposed projects, oldest first, with their lead and proposer."""
    return (
        visible(user, Project.objects.filter(status=ProjectStatus.PROPOSED), Action.MODERATE)
        .select_related("proposed_by")
        .prefetch_related("disease_areas", lead_partners_prefetch())
        .order_by("created_at")
    )


def invitations_for_admin(user) -> QuerySet:
    """Open partner invitations addressed to organisations the user administers."""
    partners = visible(user, Partner.objects.filter(status=PartnerStatus.INVITED), Action.MANAGE)
    return partners.select_related("project", "organisation", "invited_by").order_by("created_at")


def project_partners(user, project: Project) -> QuerySet:
    return (
        visible(user, project.partners.all())
        .select_related("organisation")
        .order_by("status", "role", "organisation__name")
    )


def project_partners_with_rights(user, project: Project) -> QuerySet:
    """`project_partners`, each annotated `may_manage` (the user administers that partner
    organisation: it may leave) by the policy's own rule, in the same statement."""
    return project_partners(user, project).annotate(
        may_manage=_true_when(rule_for(Partner, Action.MANAGE)(user))
    )


def project_memberships(user, project: Project, *, include_ended: bool = False) -> QuerySet:
    rows = visible(user, project.memberships.all()).select_related("user", "organisation")
    if not include_ended:
        rows = rows.filter(ended_at__isnull=True)
    return rows.order_by("ended_at", "role", "user__last_name", "user__first_name")


def project_work_packages(user, project: Project) -> QuerySet:
    return visible(user, WorkPackage.objects.filter(project=project)).prefetch_related(
        "lead_organisations", "members"
    )


def project_biomarkers(user, project: Project) -> QuerySet:
    return visible(user, Biomarker.objects.filter(project=project)).select_related(
        "diagnostic_partner"
    )


def eligible_partner_organisations(project: Project) -> QuerySet:
    """Active partners, for choosing a new member's organisation or a work-package lead."""
    return Organisation.objects.filter(
        partnerships__project=project, partnerships__status=PartnerStatus.ACTIVE
    ).order_by("name")


def invitable_organisations(project: Project) -> QuerySet:
    """Approved organisations not already invited to or partnering in the project."""
    current = project.partners.filter(
        status__in=[PartnerStatus.INVITED, PartnerStatus.ACTIVE]
    ).values("organisation_id")
    return Organisation.objects.filter(status=OrganisationStatus.APPROVED).exclude(id__in=current)


def proposing_organisations(user) -> QuerySet:
    return Organisation.objects.filter(id__in=active_organisation_ids(user)).order_by("name")


def coordinated_project_count(user) -> int:
    return (
        Membership.objects.current()
        .filter(user=user, role=MembershipRole.COORDINATOR)
        .values("project_id")
        .count()
    )
