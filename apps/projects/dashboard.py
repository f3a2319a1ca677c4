"""The projects app's home-page sections ("what needs me?"); each runs a fixed number of
queries whatever the numbers involved."""

from django.utils.formats import date_format

from apps.access.policy import Action, visible
from apps.access.policy.subjects import is_staff
from apps.core.dashboard import DashboardItem, DashboardSection, register_section
from apps.organisations.models import Organisation
from apps.projects import selectors
from apps.projects.models import Membership, Partner, PartnerStatus, Project

SHOWN = 5


@register_section(order=12)
def projects_awaiting_activation(user) -> DashboardSection | None:
    if not is_staff(user):
        return None
    projects = list(selectors.pending_activation(user)[:SHOWN])
    return DashboardSection(
        title="Projects awaiting activation",
        items=[
            DashboardItem(
                label=f"{project.acronym} — {project.title}",
                url=f"/projects/staff/{project.slug}/activate/",
                meta=_lead_meta(project),
            )
            for project in projects
        ],
        empty="No proposed project is waiting.",
        more_url="/projects/staff/",
    )


def _lead_meta(project) -> str:
    leads = ", ".join(partner.organisation.name for partner in project.lead_partners)
    return f"{leads} · proposed {date_format(project.created_at)}"


@register_section(order=32)
def partner_invitations(user) -> DashboardSection | None:
    """Only for organisation admins: their organisations' open project invitations."""
    if not Organisation.objects.administered_by(user).exists():
        return None
    invitations = list(selectors.invitations_for_admin(user)[:SHOWN])
    return DashboardSection(
        title="Project invitations for your organisation",
        items=[
            DashboardItem(
                label=f"{partner.project.acronym} invites {partner.organisation.name}",
                url="/projects/invitations/",
                meta=f"As {partner.get_role_display().lower()} · {date_format(partner.created_at)}",
            )
            for partner in invitations
        ],
        empty="No project invitations await an answer.",
        more_url="/projects/invitations/",
    )


@register_section(order=100)
def my_projects(user) -> DashboardSection | None:
    current = Membership.objects.current().filter(user=user).values("pk")
    memberships = list(selectors.my_memberships(user).filter(pk__in=current)[: SHOWN * 2])
    return DashboardSection(
        title="My projects",
        items=[
            DashboardItem(
                label=f"{m.project.acronym} — {m.project.title}",
                url=m.project.get_absolute_url(),
                meta=f"{m.get_role_display()} · {m.project.get_status_display()}",
            )
            for m in memberships
        ],
        empty="You are not a member of any project yet. Browse the catalogue or propose one.",
        more_url="/projects/mine/",
    )


@register_section(order=34)
def invitations_sent(user) -> DashboardSection | None:
    """Only for coordinators: the organisations they invited that have not answered yet."""
    managed = visible(user, Project.objects.all(), Action.MANAGE)
    if not managed.exists():
        return None
    waiting = list(
        visible(user, Partner.objects.filter(status=PartnerStatus.INVITED, project__in=managed))
        .select_related("project", "organisation")
        .order_by("created_at")[:SHOWN]
    )
    return DashboardSection(
        title="Partner invitations awaiting an answer",
        items=[
            DashboardItem(
                label=f"{partner.organisation.name} — {partner.project.acronym}",
                url=f"/projects/{partner.project.slug}/partners/",
                meta=f"Invited {date_format(partner.created_at)}",
            )
            for partner in waiting
        ],
        empty="Every organisation you invited has answered.",
    )
