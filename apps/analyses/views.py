"""Analysis pages: thin views that fetch through the policy and call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from apps.access.policy import Action, can
from apps.analyses import services
from apps.analyses.forms import AnalysisCreateForm, VersionUploadForm
from apps.analyses.models import AnalysisVersion
from apps.analyses.selectors import (
    analysis_get_for_user,
    analysis_version_get_for_download,
    analysis_version_get_for_user,
    analysis_versions_for,
    citable_inputs,
)
from apps.core.uploads import protected_file_response
from apps.datasets.navigation import project_url
from apps.datasets.selectors import project_get_for_user


def _context(analysis=None, project=None, **extra) -> dict:
    project = project or analysis.project
    return {"analysis": analysis, "project": project, "project_url": project_url(project), **extra}


def _add_errors(form, error: ValidationError, default_field=None) -> None:
    if hasattr(error, "error_dict"):
        form.add_error(None, error)
    else:
        form.add_error(default_field, error.messages)


def _inputs(user, project) -> dict:
    datasets, versions = citable_inputs(user, project)
    return {"datasets": datasets, "protocol_versions": versions}


@login_required
@require_http_methods(["GET", "POST"])
def analysis_create(request, project_pk):
    project = project_get_for_user(request.user, project_pk, Action.CONTRIBUTE)
    form = AnalysisCreateForm(
        request.POST or None,
        request.FILES or None,
        project=project,
        **_inputs(request.user, project),
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        upload = fields.pop("file")
        change_note = fields.pop("change_note")
        inputs = {
            "datasets": fields.pop("datasets"),
            "protocol_versions": fields.pop("protocol_versions"),
        }
        try:
            analysis = services.analysis_create_with_first_version(
                project=project,
                actor=request.user,
                request=request,
                upload=upload,
                change_note=change_note,
                inputs=inputs,
                **fields,
            )
        except ValidationError as error:
            _add_errors(form, error, "file")
        else:
            messages.success(request, "Analysis created with version 1 as a draft.")
            return redirect("analyses:detail", pk=analysis.pk)
    status = 400 if form.errors else 200
    return render(
        request, "analyses/analysis_form.html", _context(project=project, form=form), status=status
    )


@require_safe
def analysis_detail(request, pk):
    analysis = analysis_get_for_user(request.user, pk)
    versions = list(analysis_versions_for(request.user, analysis))
    context = _context(
        analysis,
        versions=versions,
        can_edit=can(request.user, Action.EDIT, analysis),
        can_approve=can(request.user, Action.MANAGE, analysis.project),
    )
    return render(request, "analyses/analysis_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def version_upload(request, pk):
    analysis = analysis_get_for_user(request.user, pk, action=Action.CONTRIBUTE)
    form = VersionUploadForm(
        request.POST or None, request.FILES or None, **_inputs(request.user, analysis.project)
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.analysis_version_add(
                analysis=analysis, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error, "file")
        else:
            messages.success(request, f"Version {version.number} uploaded as a draft.")
            return redirect("analyses:detail", pk=analysis.pk)
    status = 400 if form.errors else 200
    return render(
        request, "analyses/version_upload.html", _context(analysis, form=form), status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_approve(request, pk, number):
    """GET asks for confirmation (approval supersedes the current version); POST approves."""
    analysis = analysis_get_for_user(request.user, pk)
    version = analysis_version_get_for_user(request.user, analysis, number)
    if not can(request.user, Action.MANAGE, analysis.project):
        raise PermissionDenied
    if version.status != AnalysisVersion.Status.DRAFT:
        messages.error(request, f"Version {number} is not a draft.")
        return redirect("analyses:detail", pk=analysis.pk)
    if request.method == "GET":
        return render(request, "analyses/version_approve.html", _context(analysis, version=version))
    try:
        services.analysis_version_approve(version=version, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {number} approved.")
    return redirect("analyses:detail", pk=analysis.pk)


@login_required
@require_safe
def version_download(request, pk, number):
    """404 for anyone who may not download, whether or not the version exists."""
    version = analysis_version_get_for_download(request.user, analysis_pk=pk, number=number)
    response = protected_file_response(version)  # opened first: a missing file records nothing
    services.analysis_version_record_download(version=version, actor=request.user, request=request)
    return response
