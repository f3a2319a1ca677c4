"""People in a project: the coordinator's members page, role changes, ending memberships, and
a member leaving by themself."""

from django.contrib.auth.decorators import login_required

from apps.access.policy import get_for_user
from apps.projects import selectors
from apps.projects.forms import MembershipAddForm, MembershipRoleForm, ReasonForm
from apps.projects.models import Membership
from apps.projects.services import membership_add, membership_change_role, membership_end
from apps.projects.views.common import form_page, insider_projects, posted, project_for_manager


@login_required
def members(request, slug):
    project = project_for_manager(request, slug)
    memberships = list(selectors.project_memberships(request.user, project, include_ended=True))
    return form_page(
        request,
        MembershipAddForm(
            posted(request), organisations=selectors.eligible_partner_organisations(project)
        ),
        save=lambda data: membership_add(
            actor=request.user,
            project=project,
            user=data["user"],
            organisation=data["organisation"],
            role=data["role"],
            ends_on=data["ends_on"],
            request=request,
        ),
        message=lambda membership: (
            f"{membership.user.get_full_name() or membership.user.email} is now a member."
        ),
        next_url=request.path,
        template="projects/members.html",
        context={
            "project": project,
            "current": [m for m in memberships if m.ended_at is None],
            "ended": [m for m in memberships if m.ended_at is not None],
        },
    )


def _membership(request, project, pk) -> Membership:
    return get_for_user(
        request.user,
        project.memberships.filter(ended_at__isnull=True).select_related("user", "organisation"),
        pk=pk,
    )


@login_required
def member_role(request, slug, pk):
    project = project_for_manager(request, slug)
    membership = _membership(request, project, pk)
    return form_page(
        request,
        MembershipRoleForm(
            posted(request), initial={"role": membership.role, "ends_on": membership.ends_on}
        ),
        save=lambda data: membership_change_role(
            actor=request.user, membership=membership, request=request, **data
        ),
        message="The role is changed.",
        next_url=f"/projects/{slug}/members/",
        template="projects/member_role.html",
        context={"project": project, "membership": membership},
    )


@login_required
def member_end(request, slug, pk):
    project = project_for_manager(request, slug)
    membership = _membership(request, project, pk)
    return _end(request, project, membership, f"/projects/{slug}/members/")


@login_required
def leave(request, slug):
    """The signed-in person ends their own membership."""
    project = get_for_user(request.user, insider_projects(request.user), slug=slug)
    membership = get_for_user(
        request.user,
        project.memberships.filter(user=request.user, ended_at__isnull=True).select_related(
            "user", "organisation"
        ),
    )
    return _end(request, project, membership, "/projects/mine/")


def _end(request, project, membership, next_url: str):
    return form_page(
        request,
        ReasonForm(posted(request)),
        save=lambda data: membership_end(
            actor=request.user, membership=membership, reason=data["reason"], request=request
        ),
        message="The membership has ended.",
        next_url=next_url,
        template="projects/member_end.html",
        context={"project": project, "membership": membership},
    )
