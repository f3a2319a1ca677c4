"""Coordinator pages for work packages and biomarker records."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render

from apps.access.policy import get_for_user
from apps.projects import selectors
from apps.projects.forms import BiomarkerForm, WorkPackageForm, apply_service_errors
from apps.projects.models import Biomarker, Membership, WorkPackage
from apps.projects.services import (
    biomarker_create,
    biomarker_delete,
    biomarker_update,
    work_package_create,
    work_package_delete,
    work_package_update,
)
from apps.projects.views.common import done, posted, project_for_manager


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
    form = _work_package_form(request, project)
    if request.method == "POST" and form.is_valid():
        try:
            work_package_create(
                actor=request.user, project=project, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The work package is added.", request.path)
    context = {
        "project": project,
        "form": form,
        "work_packages": selectors.project_work_packages(request.user, project),
    }
    status = 400 if form.errors else 200
    return render(request, "projects/work_packages.html", context, status=status)


def _work_package(request, project, pk) -> WorkPackage:
    return get_for_user(request.user, WorkPackage.objects.filter(project=project), pk=pk)


@login_required
def work_package_edit(request, slug, pk):
    project = project_for_manager(request, slug)
    work_package = _work_package(request, project, pk)
    form = _work_package_form(request, project, work_package)
    if request.method == "POST" and form.is_valid():
        try:
            work_package_update(
                actor=request.user, work_package=work_package, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The work package is saved.", f"/projects/{slug}/work-packages/")
    context = {"project": project, "form": form, "work_package": work_package}
    status = 400 if form.errors else 200
    return render(request, "projects/work_package_form.html", context, status=status)


@login_required
def work_package_remove(request, slug, pk):
    project = project_for_manager(request, slug)
    work_package = _work_package(request, project, pk)
    errors = []
    if request.method == "POST":
        try:
            work_package_delete(actor=request.user, work_package=work_package, request=request)
        except ValidationError as error:
            errors = error.messages
        else:
            return done(request, "The work package is deleted.", f"/projects/{slug}/work-packages/")
    context = {"project": project, "thing": work_package, "errors": errors, "kind": "work package"}
    return render(request, "projects/confirm_delete.html", context, status=400 if errors else 200)


@login_required
def biomarkers(request, slug):
    project = project_for_manager(request, slug)
    form = BiomarkerForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            biomarker_create(
                actor=request.user, project=project, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The biomarker is added.", request.path)
    context = {
        "project": project,
        "form": form,
        "biomarkers": selectors.project_biomarkers(request.user, project),
    }
    status = 400 if form.errors else 200
    return render(request, "projects/biomarkers.html", context, status=status)


def _biomarker(request, project, pk) -> Biomarker:
    return get_for_user(request.user, Biomarker.objects.filter(project=project), pk=pk)


@login_required
def biomarker_edit(request, slug, pk):
    project = project_for_manager(request, slug)
    biomarker = _biomarker(request, project, pk)
    form = BiomarkerForm(posted(request), instance=biomarker)
    if request.method == "POST" and form.is_valid():
        try:
            biomarker_update(
                actor=request.user, biomarker=biomarker, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, "The biomarker is saved.", f"/projects/{slug}/biomarkers/")
    context = {"project": project, "form": form, "biomarker": biomarker}
    status = 400 if form.errors else 200
    return render(request, "projects/biomarker_form.html", context, status=status)


@login_required
def biomarker_remove(request, slug, pk):
    project = project_for_manager(request, slug)
    biomarker = _biomarker(request, project, pk)
    errors = []
    if request.method == "POST":
        try:
            biomarker_delete(actor=request.user, biomarker=biomarker, request=request)
        except ValidationError as error:
            errors = error.messages
        else:
            return done(request, "The biomarker is deleted.", f"/projects/{slug}/biomarkers/")
    context = {"project": project, "thing": biomarker, "errors": errors, "kind": "biomarker"}
    return render(request, "projects/confirm_delete.html", context, status=400 if errors else 200)
