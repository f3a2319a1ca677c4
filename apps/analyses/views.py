"""Analysis pages: thin views that fetch through the policy and call services (the handling
every shared kind has is `apps.items.views`)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from apps.access.policy import Action, can
from apps.analyses import services
from apps.analyses.forms import AnalysisCreateForm, VersionUploadForm
from apps.analyses.models import Analysis
from apps.analyses.selectors import analysis_versions_for, citable_inputs
from apps.datasets.selectors import project_get_for_user
from apps.items import views as items
from apps.items.selectors import item_get_for_user

_context = partial(items.item_context, "analysis")


def _inputs(user, project) -> dict:
    datasets, versions = citable_inputs(user, project)
    return {"datasets": datasets, "protocol_versions": versions}


def _inputs_from(fields: dict) -> dict:
    return {name: fields.pop(name) for name in ("datasets", "protocol_versions")}


@csrf_exempt  # CSRF is checked by items.upload_form_page, after the streaming handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def analysis_create(request, project_pk):
    project = project_get_for_user(request.user, project_pk, Action.CONTRIBUTE)

    def save(fields):
        analysis = services.analysis_create_with_first_version(
            project=project,
            actor=request.user,
            request=request,
            upload=fields.pop("file"),
            change_note=fields.pop("change_note"),
            inputs=_inputs_from(fields),
            **fields,
        )
        messages.success(request, "Analysis created with version 1 as a draft.")
        return redirect(analysis)

    return items.upload_form_page(
        request,
        form_class=partial(AnalysisCreateForm, project=project, **_inputs(request.user, project)),
        template="analyses/analysis_form.html",
        context=_context(project=project),
        save=save,
    )


@require_safe
def analysis_detail(request, pk):
    analysis = item_get_for_user(request.user, Analysis, pk)
    context = _context(
        analysis,
        versions=list(analysis_versions_for(request.user, analysis)),
        can_edit=can(request.user, Action.EDIT, analysis),
        can_approve=can(request.user, Action.MANAGE, analysis.project),
        can_download=can(request.user, Action.DOWNLOAD, analysis),
    )
    return render(request, "analyses/analysis_detail.html", context)


@csrf_exempt  # CSRF is checked by items.upload_form_page, after the streaming handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def version_upload(request, pk):
    analysis = item_get_for_user(request.user, Analysis, pk, action=Action.CONTRIBUTE)

    def save(fields):
        version = services.analysis_version_add(
            analysis=analysis,
            actor=request.user,
            request=request,
            upload=fields.pop("file"),
            **fields,
        )
        messages.success(request, f"Version {version.number} uploaded as a draft.")
        return redirect(analysis)

    return items.upload_form_page(
        request,
        form_class=partial(VersionUploadForm, **_inputs(request.user, analysis.project)),
        template="analyses/version_upload.html",
        context=_context(analysis),
        save=save,
    )


version_approve = items.version_approve_view(
    services.WRITES, name="analysis", template="analyses/version_approve.html"
)
version_download = items.version_download_view(services.WRITES)
