"""Portal staff: the queue of proposed projects awaiting activation."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render

from apps.access.policy import Action, get_for_user
from apps.access.policy.subjects import is_staff
from apps.projects import selectors
from apps.projects.forms import ReasonForm, apply_service_errors
from apps.projects.models import Project, ProjectStatus
from apps.projects.services import project_activate, project_reject
from apps.projects.views.common import done, posted


@login_required
def queue(request):
    if not is_staff(request.user):
        raise PermissionDenied
    return render(
        request,
        "projects/staff_queue.html",
        {"projects": selectors.pending_activation(request.user)},
    )


@login_required
def decide(request, slug, decision):
    if decision not in ("activate", "reject"):
        raise Http404("No such decision")
    if not is_staff(request.user):
        raise Http404("Not found")
    project = get_for_user(
        request.user,
        Project.objects.filter(status=ProjectStatus.PROPOSED),
        slug=slug,
        action=Action.MODERATE,
    )
    form = ReasonForm(posted(request), required=decision == "reject")
    if request.method == "POST" and form.is_valid():
        try:
            if decision == "activate":
                project_activate(actor=request.user, project=project, request=request)
            else:
                project_reject(
                    actor=request.user,
                    project=project,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            verb = "activated" if decision == "activate" else "rejected"
            return done(request, f"{project.acronym} is {verb}.", "/projects/staff/")
    context = {"project": project, "form": form, "decision": decision}
    status = 400 if form.errors else 200
    return render(request, "projects/staff_decide.html", context, status=status)
