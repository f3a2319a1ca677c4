"""The projects app's own parts of the project page (see `apps/projects/sections.py`)."""

from apps.access.policy.subjects import is_staff, page_fact
from apps.projects import selectors
from apps.projects.models import PartnerStatus
from apps.projects.sections import project_section


def _is_insider(user, project) -> bool:
    """Whether `user` belongs to the project's consortium (or is staff). The project page
    tells the policy `user`'s standing in its project (`policy.known_project`)."""
    known = page_fact(user, project, "insider")
    if known is not None:
        return known or is_staff(user)
    return selectors.insider_projects(user).filter(pk=project.pk).exists()


@project_section(order=10, title="Overview", template="projects/sections/_overview.html")
def overview(*, project, user, request) -> dict:
    return {
        "funders": project.funders.select_related("organisation").order_by("organisation__name"),
        "can_download_agreement": bool(project.consortium_agreement) and _is_insider(user, project),
    }


@project_section(order=20, title="Partners", template="projects/sections/_partners.html")
def partners(*, project, user, request) -> dict:
    rows = [
        partner
        for partner in selectors.project_partners_with_rights(user, project)
        if partner.status == PartnerStatus.ACTIVE
    ]
    # Partners whose organisation the user administers get a "leave" link.
    admin_of = {partner.pk for partner in rows if partner.may_manage}
    return {"partners": rows, "admin_of": admin_of}


@project_section(order=30, title="Members", template="projects/sections/_members.html")
def members(*, project, user, request) -> dict | None:
    """People are listed to the consortium and staff only, not on public pages."""
    if not _is_insider(user, project):
        return None
    rows = list(selectors.project_memberships(user, project))
    return {"memberships": rows, "own": next((m for m in rows if m.user_id == user.pk), None)}


@project_section(order=40, title="Biomarkers", template="projects/sections/_biomarkers.html")
def biomarkers(*, project, user, request) -> dict:
    return {"biomarkers": selectors.project_biomarkers(user, project)}


@project_section(order=50, title="Work packages", template="projects/sections/_work_packages.html")
def work_packages(*, project, user, request) -> dict:
    return {"work_packages": selectors.project_work_packages(user, project)}
