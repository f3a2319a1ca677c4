"""People in a project: the coordinator's members page, role changes, ending memberships, and
a member leaving by themself."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render

from apps.access.policy import get_for_user
from apps.projects import selectors
from apps.projects.forms import (
    MembershipAddForm,
    MembershipRoleForm,
    ReasonForm,
    apply_service_errors,
)
from apps.projects.models import Membership
from apps.projects.services import membership_add, membership_change_role, membership_end
from apps.projects.views.common import done, insider_projects, posted, project_for_manager


@login_required
def members(request, slug):
    project = project_for_manager(request, slug)
    form = MembershipAddForm(
        posted(request), organisations=selectors.eligible_partner_organisations(project)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = membership_add(
                actor=request.user,
                project=project,
                user=data["user"],
                organisation=data["organisation"],
                role=data["role"],
                ends_on=data["ends_on"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            name = membership.user.get_full_name() or membership.user.email
            return done(request, f"{name} is now a member.", request.path)
    memberships = list(selectors.project_memberships(request.user, project, include_ended=True))
    context = {
        "project": project,
        "form": form,
        "current": [m for m in memberships if m.ended_at is None],
        "ended": [m for m in memberships if m.ended_at is not None],
    }
    status = 400 if form.errors else 200
    return render(request, "projects/members.html", context, status=status)


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
    form = MembershipRoleForm(
        posted(request), initial={"role": membership.role, "ends_on": membership.ends_on}
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership_change_role(
                actor=request.user, membership=membership, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The role is changed.", f"/projects/{slug}/members/")
    context = {"project": project, "membership": membership, "form": form}
    status = 400 if form.errors else 200
    return render(request, "projects/member_role.html", context, status=status)


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
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            membership_end(
                actor=request.user,
                membership=membership,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The membership has ended.", next_url)
    context = {"project": project, "membership": membership, "form": form}
    status = 400 if form.errors else 200
    return render(request, "projects/member_end.html", context, status=status)
