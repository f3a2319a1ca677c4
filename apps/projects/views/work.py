"""Coordinator pages for work packages and biomarker records."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required

from apps.access.policy import get_for_user
from apps.projects import selectors
from apps.projects.forms import BiomarkerForm, WorkPackageForm
from apps.projects.models import Biomarker, Membership, WorkPackage
from apps.projects.services import (
    biomarker_create,
    biomarker_delete,
    biomarker_update,
    work_package_create,
    work_package_delete,
    work_package_update,
)
from apps.projects.views.common import delete_page, form_page, posted, project_for_manager


def _work_package_form(request, project, instance: WorkPackage | None = None):
    people = (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.current().filter(project=project).values("user_id")
        )
        .order_by("last_name", "first_name")
    )
    initial = {}
    if instance is not None:
        initial = {
            "number": instance.number,
            "title": instance.title,
            "description": instance.description,
            "lead_organisations": list(instance.lead_organisations.all()),
            "members": list(instance.members.all()),
        }
    return WorkPackageForm(
        posted(request),
        initial=initial,
        organisations=selectors.eligible_partner_organisations(project),
        people=people,
    )


@login_required
def work_packages(request, slug):
    project = project_for_manager(request, slug)
    return form_page(
        request,
        _work_package_form(request, project),
        save=lambda data: work_package_create(
            actor=request.user, project=project, request=request, **data
        ),
        message="The work package is added.",
        next_url=request.path,
        template="projects/work_packages.html",
        context={
            "project": project,
            "work_packages": selectors.project_work_packages(request.user, project),
        },
    )


def _work_package(request, project, pk) -> WorkPackage:
    return get_for_user(request.user, WorkPackage.objects.filter(project=project), pk=pk)


@login_required
def work_package_edit(request, slug, pk):
    project = project_for_manager(request, slug)
    work_package = _work_package(request, project, pk)
    return form_page(
        request,
        _work_package_form(request, project, work_package),
        save=lambda data: work_package_update(
            actor=request.user, work_package=work_package, request=request, **data
        ),
        message="The work package is saved.",
        next_url=f"/projects/{slug}/work-packages/",
        template="projects/work_package_form.html",
        context={"project": project, "work_package": work_package},
    )


@login_required
def work_package_remove(request, slug, pk):
    project = project_for_manager(request, slug)
    work_package = _work_package(request, project, pk)
    return delete_page(
        request,
        project,
        work_package,
        kind="work package",
        delete=lambda: work_package_delete(
            actor=request.user, work_package=work_package, request=request
        ),
        next_url=f"/projects/{slug}/work-packages/",
    )


@login_required
def biomarkers(request, slug):
    project = project_for_manager(request, slug)
    return form_page(
        request,
        BiomarkerForm(posted(request)),
        save=lambda data: biomarker_create(
            actor=request.user, project=project, request=request, **data
        ),
        message="The biomarker is added.",
        next_url=request.path,
        template="projects/biomarkers.html",
        context={
            "project": project,
            "biomarkers": selectors.project_biomarkers(request.user, project),
        },
    )


def _biomarker(request, project, pk) -> Biomarker:
    return get_for_user(request.user, Biomarker.objects.filter(project=project), pk=pk)


@login_required
def biomarker_edit(request, slug, pk):
    project = project_for_manager(request, slug)
    biomarker = _biomarker(request, project, pk)
    return form_page(
        request,
        BiomarkerForm(posted(request), instance=biomarker),
        save=lambda data: biomarker_update(
            actor=request.user, biomarker=biomarker, request=request, **data
        ),
        message="The biomarker is saved.",
        next_url=f"/projects/{slug}/biomarkers/",
        template="projects/biomarker_form.html",
        context={"project": project, "biomarker": biomarker},
    )


@login_required
def biomarker_remove(request, slug, pk):
    project = project_for_manager(request, slug)
    biomarker = _biomarker(request, project, pk)
    return delete_page(
        request,
        project,
        biomarker,
        kind="biomarker",
        delete=lambda: biomarker_delete(actor=request.user, biomarker=biomarker, request=request),
        next_url=f"/projects/{slug}/biomarkers/",
    )
