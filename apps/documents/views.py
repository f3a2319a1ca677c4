"""Protocol pages: thin views that fetch through the policy and call services (the handling
every shared kind has is `apps.items.views`)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.access.policy import Action, can
from apps.datasets.selectors import project_get_for_user
from apps.documents import services
from apps.documents.forms import (
    ProtocolCreateForm,
    ProtocolForm,
    VersionCompareForm,
    VersionEditForm,
    VersionUploadForm,
)
from apps.documents.models import Protocol
from apps.documents.selectors import protocol_version_diff, protocols_visible_in_project
from apps.items import views as items
from apps.items.selectors import item_get_for_user, version_get_for_user, versions_for

_context = partial(items.item_context, "protocol")


def project_protocol_list(request, project_pk):
    project = project_get_for_user(request.user, project_pk)
    return render(
        request,
        "documents/project_protocol_list.html",
        _context(
            project=project,
            protocols=protocols_visible_in_project(request.user, project),
            can_contribute=can(request.user, Action.CONTRIBUTE, project),
        ),
    )


protocol_create = items.item_create_view(
    services.WRITES, ProtocolCreateForm, template="documents/protocol_form.html"
)


def protocol_detail(request, pk):
    protocol = item_get_for_user(request.user, Protocol, pk)
    versions = list(versions_for(request.user, protocol))
    numbers = [version.number for version in versions]
    compare, diff_rows = _compare(request, versions, numbers)
    user = request.user
    return render(
        request,
        "documents/protocol_detail.html",
        _context(
            protocol,
            versions=versions,
            compare_form=compare,
            diff_rows=diff_rows,
            can_edit=can(user, Action.EDIT, protocol),
            can_approve=can(user, Action.MANAGE, protocol.project),
            can_download=can(user, Action.DOWNLOAD, protocol),
            named_organisations=list(protocol.allowed_organisations.order_by("name"))
            if protocol.access_tier == "organisations"
            else [],
        ),
    )


def _compare(request, versions, numbers):
    """The comparison form and, when two versions are chosen, the diff rows (newest two by
    default)."""
    if len(numbers) < 2:
        return None, []
    data = request.GET if "older" in request.GET else {"older": numbers[1], "newer": numbers[0]}
    form = VersionCompareForm(data, numbers=numbers)
    if not form.is_valid():
        return form, []
    by_number = {version.number: version for version in versions}
    older, newer = sorted([form.cleaned_data["older"], form.cleaned_data["newer"]])
    return form, protocol_version_diff(by_number[older], by_number[newer])


protocol_edit = items.item_edit_view(
    services.WRITES, ProtocolForm, template="documents/protocol_edit.html"
)
version_upload = items.version_upload_view(
    services.WRITES, VersionUploadForm, template="documents/version_upload.html"
)


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request, pk, number):
    protocol = item_get_for_user(request.user, Protocol, pk)
    version = version_get_for_user(request.user, protocol, number, action=Action.EDIT)
    form = VersionEditForm(request.POST or None, initial={"change_note": version.change_note})
    return items.form_page(
        request,
        form,
        save=lambda data: services.protocol_version_update(
            version=version, actor=request.user, request=request, **data
        ),
        message=f"Version {version.number} saved.",
        template="documents/version_edit.html",
        context=_context(protocol, version=version),
        to=protocol,
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_delete(request, pk, number):
    protocol = item_get_for_user(request.user, Protocol, pk)
    version = version_get_for_user(request.user, protocol, number, action=Action.EDIT)
    if request.method == "POST":
        services.protocol_version_delete(version=version, actor=request.user, request=request)
        messages.success(request, f"Draft version {number} deleted.")
        return redirect(protocol)
    return render(request, "documents/version_delete.html", _context(protocol, version=version))


# Pages every kind with versions has.
version_approve = items.version_approve_view(
    services.WRITES, template="documents/version_approve.html"
)
version_download = items.version_download_view(services.WRITES)
