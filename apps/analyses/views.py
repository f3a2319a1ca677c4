"""Analysis pages: thin views that fetch through the policy and call services (the handling
every shared kind has is `apps.items.views`)."""

from functools import partial

from django.shortcuts import render
from django.views.decorators.http import require_safe

from apps.access.policy import Action, can
from apps.analyses import services
from apps.analyses.forms import AnalysisCreateForm, VersionUploadForm
from apps.analyses.models import Analysis
from apps.analyses.selectors import analysis_versions_for, citable_inputs
from apps.items import views as items
from apps.items.selectors import item_get_for_user

_context = partial(items.item_context, "analysis")


def _inputs(user, project) -> dict:
    datasets, versions = citable_inputs(user, project)
    return {"datasets": datasets, "protocol_versions": versions}


analysis_create = items.item_create_view(
    services.WRITES, AnalysisCreateForm, template="analyses/analysis_form.html", form_inputs=_inputs
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


version_upload = items.version_upload_view(
    services.WRITES, VersionUploadForm, template="analyses/version_upload.html", form_inputs=_inputs
)
version_approve = items.version_approve_view(
    services.WRITES, template="analyses/version_approve.html"
)
version_download = items.version_download_view(services.WRITES)
