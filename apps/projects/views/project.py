"""The project page, its coordinator edit page, status transitions and funders."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.access.policy import Action, can, get_for_user, known_project, project_facts
from apps.access.policy.project_parts import card_lead_partners
from apps.projects import page_cache, selectors
from apps.projects.forms import FunderForm, ProjectEditForm, ReasonForm, apply_service_errors
from apps.projects.sections import render_sections
from apps.projects.services import (
    available_transitions,
    project_funder_add,
    project_funder_remove,
    project_transition,
    project_update,
)
from apps.projects.services.projects import TRANSITIONS
from apps.projects.views.common import (
    done,
    files,
    insider_projects,
    posted,
    project_for_manager,
)


def detail(request, slug):
    """Signed-in people get the page's title, breadcrumbs and content from a versioned
    fragment (`apps.projects.page_cache`); `base.html` renders the per-request parts around
    it. The fragment is rendered without the request, so nothing of one request (CSRF token,
    nonce, messages) can be stored in it."""
    user = request.user

    def build() -> page_cache.CachedPage:
        return _build_page(user, slug)

    page = page_cache.project_page(user, slug, build) if page_cache.enabled(user) else build()
    return render(request, "projects/detail.html", {"page": page})


def _build_page(user, slug) -> page_cache.CachedPage:
    project = get_for_user(user, selectors.projects_with_page_rights(user), slug=slug)
    with known_project(project_facts(user, project)):
        context = _detail_context(user, project)
    return page_cache.CachedPage(
        project_id=project.pk,
        title=project.acronym,
        breadcrumbs=render_to_string("projects/_breadcrumbs.html", {"project": project}),
        content=render_to_string("projects/_detail_content.html", context),
    )


def _detail_context(user, project) -> dict:
    can_details = can(user, Action.VIEW_DETAILS, project)
    can_manage = can_details and can(user, Action.MANAGE, project)
    return {
        "user": user,
        "project": project,
        "can_view_details": can_details,
        "can_manage": can_manage,
        "lead": card_lead_partners(project.partners.all()).select_related("organisation").first(),
        "disease_areas": list(project.disease_areas.all()),
        "transitions": available_transitions(user, project, known={Action.MANAGE: can_manage})
        if can_details
        else [],
        "sections": render_sections(project=project, user=user, can_manage=can_manage)
        if can_details
        else [],
        "login_url": f"{reverse('account_login')}?next={quote(project.get_absolute_url())}",
    }


@login_required
def edit(request, slug):
    project = project_for_manager(request, slug)
    form = ProjectEditForm(posted(request), files(request), instance=project)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        disease_areas = data.pop("disease_areas")
        if not data.get("consortium_agreement"):
            data.pop("consortium_agreement", None)  # empty upload keeps the current file
        try:
            project_update(
                actor=request.user,
                project=project,
                disease_areas=disease_areas,
                request=request,
                **data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The project is updated.", project.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, "projects/edit.html", {"project": project, "form": form}, status=status)


@login_required
def transition(request, slug, name):
    if name not in TRANSITIONS or name in ("activate", "reject"):
        raise Http404("No such transition")
    project = get_for_user(request.user, insider_projects(request.user), slug=slug)
    edge = TRANSITIONS[name]
    if not any(can(request.user, action, project) for action in edge.actions):
        raise PermissionDenied
    if project.status not in edge.sources:
        messages.error(
            request,
            f"A {project.get_status_display().lower()} project cannot be {edge.past_tense}.",
        )
        return redirect(project)
    form = ReasonForm(posted(request), required=edge.needs_reason)
    if request.method == "POST" and form.is_valid():
        try:
            project_transition(
                actor=request.user,
                project=project,
                transition=name,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(
                request, f"{project.acronym} is now {edge.target}.", project.get_absolute_url()
            )
    context = {"project": project, "form": form, "name": name, "edge": edge}
    status = 400 if form.errors else 200
    return render(request, "projects/transition.html", context, status=status)


@login_required
def funders(request, slug):
    project = project_for_manager(request, slug)
    form = FunderForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            project_funder_add(
                actor=request.user, project=project, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The funder is added.", request.path)
    context = {
        "project": project,
        "form": form,
        "funders": project.funders.select_related("organisation").order_by("organisation__name"),
    }
    status = 400 if form.errors else 200
    return render(request, "projects/funders.html", context, status=status)


@login_required
@require_POST
def funder_remove(request, slug, pk):
    project = project_for_manager(request, slug)
    # The project was checked for MANAGE; the funder is looked up only inside it.
    funder = project.funders.filter(pk=pk).first()
    if funder is None:
        raise Http404("No such funder")
    project_funder_remove(actor=request.user, funder=funder, request=request)
    return done(request, "The funder is removed.", redirect("projects:funders", slug=slug).url)


@login_required
def agreement(request, slug):
    """The signed consortium agreement, for the consortium and staff only."""
    project = get_for_user(
        request.user, insider_projects(request.user), slug=slug, action=Action.VIEW_DETAILS
    )
    if not project.consortium_agreement:
        raise Http404("No consortium agreement on file")
    try:
        handle = project.consortium_agreement.open("rb")
    except FileNotFoundError as error:
        raise Http404("No consortium agreement on file") from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{project.slug}-consortium-agreement.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
