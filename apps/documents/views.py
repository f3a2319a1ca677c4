"""Protocol pages: thin views that fetch through the policy and call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from apps.access.policy import Action, can, visible
from apps.core.uploads import (
    UploadRefused,
    declared_too_large,
    parse_upload,
    protected_file_response,
    streaming_uploads,
    too_large_refusal,
)
from apps.datasets.forms import with_upload_refusal
from apps.datasets.navigation import project_url
from apps.datasets.selectors import project_get_for_user
from apps.documents import services
from apps.documents.forms import (
    ProtocolCreateForm,
    ProtocolForm,
    VersionCompareForm,
    VersionEditForm,
    VersionUploadForm,
)
from apps.documents.models import ProtocolVersion
from apps.documents.selectors import (
    approved_version_numbers,
    protocol_get_for_user,
    protocol_version_diff,
    protocol_version_get_for_download,
    protocol_version_get_for_user,
    protocol_versions_for,
    protocols_visible_in_project,
)


def _context(protocol=None, project=None, **extra) -> dict:
    project = project or protocol.project
    return {"protocol": protocol, "project": project, "project_url": project_url(project), **extra}


def _add_errors(form, error: ValidationError, default_field=None) -> None:
    if hasattr(error, "error_dict"):
        form.add_error(None, error)
    else:
        form.add_error(default_field, error.messages)


def project_protocol_list(request, project_pk):
    project = project_get_for_user(request.user, project_pk)
    protocols = list(protocols_visible_in_project(request.user, project))
    approved = approved_version_numbers([protocol.pk for protocol in protocols])
    for protocol in protocols:
        protocol.approved_number = approved.get(protocol.pk)
    return render(
        request,
        "documents/project_protocol_list.html",
        _context(
            project=project,
            protocols=protocols,
            can_contribute=can(request.user, Action.CONTRIBUTE, project),
        ),
    )


@csrf_exempt  # CSRF is checked by csrf_protect below, after the streaming handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def protocol_create(request, project_pk):
    project = project_get_for_user(request.user, project_pk, Action.CONTRIBUTE)
    if request.method == "POST" and declared_too_large(request):
        form = with_upload_refusal(
            ProtocolCreateForm({}, project=project), too_large_refusal().message
        )
        context = _context(project=project, form=form)
        return render(request, "documents/protocol_form.html", context, status=413)
    with streaming_uploads(request) as handler:
        return _protocol_create(request, project, handler)


@csrf_protect
def _protocol_create(request, project, handler):
    template = "documents/protocol_form.html"
    if request.method != "POST":
        return render(
            request, template, _context(project=project, form=ProtocolCreateForm(project=project))
        )
    try:
        parse_upload(request, handler)
    except UploadRefused as refusal:
        form = with_upload_refusal(
            ProtocolCreateForm(request.POST, project=project), refusal.message
        )
        return render(
            request, template, _context(project=project, form=form), status=refusal.status
        )
    form = ProtocolCreateForm(request.POST, request.FILES, project=project)
    if form.is_valid():
        try:
            fields = dict(form.cleaned_data)
            protocol = services.protocol_create_with_first_version(
                project=project,
                actor=request.user,
                request=request,
                upload=fields.pop("file"),
                **fields,
            )
        except ValidationError as error:
            _add_errors(form, error, "file")
        else:
            messages.success(request, "Protocol created with version 1 as a draft.")
            return redirect("documents:detail", pk=protocol.pk)
    return render(request, template, _context(project=project, form=form), status=400)


def protocol_detail(request, pk):
    protocol = protocol_get_for_user(request.user, pk)
    versions = list(protocol_versions_for(request.user, protocol))
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


@login_required
@require_http_methods(["GET", "POST"])
def protocol_edit(request, pk):
    protocol = protocol_get_for_user(request.user, pk, action=Action.EDIT)
    initial = {
        "title": protocol.title,
        "description": protocol.description,
        "access_tier": protocol.access_tier,
        "allowed_organisations": list(protocol.allowed_organisations.all()),
    }
    form = ProtocolForm(request.POST or None, initial=initial, project=protocol.project)
    if request.method == "POST" and form.is_valid():
        try:
            services.protocol_update(
                protocol=protocol, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Protocol saved.")
            return redirect("documents:detail", pk=protocol.pk)
    return render(
        request,
        "documents/protocol_edit.html",
        _context(protocol, form=form),
        status=400 if form.errors else 200,
    )


@csrf_exempt  # CSRF is checked by csrf_protect below, after the streaming handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def version_upload(request, pk):
    protocol = protocol_get_for_user(request.user, pk, action=Action.CONTRIBUTE)
    if request.method == "POST" and declared_too_large(request):
        form = with_upload_refusal(VersionUploadForm({}), too_large_refusal().message)
        context = _context(protocol, form=form)
        return render(request, "documents/version_upload.html", context, status=413)
    with streaming_uploads(request) as handler:
        return _version_upload(request, protocol, handler)


@csrf_protect
def _version_upload(request, protocol, handler):
    template = "documents/version_upload.html"
    if request.method != "POST":
        return render(request, template, _context(protocol, form=VersionUploadForm()))
    try:
        parse_upload(request, handler)
    except UploadRefused as refusal:
        form = with_upload_refusal(VersionUploadForm(request.POST), refusal.message)
        return render(request, template, _context(protocol, form=form), status=refusal.status)
    form = VersionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.protocol_version_add(
                protocol=protocol,
                actor=request.user,
                upload=form.cleaned_data["file"],
                change_note=form.cleaned_data["change_note"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error, "file")
        else:
            messages.success(request, f"Version {version.number} uploaded as a draft.")
            return redirect("documents:detail", pk=protocol.pk)
    return render(request, template, _context(protocol, form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request, pk, number):
    protocol = protocol_get_for_user(request.user, pk)
    version = protocol_version_get_for_user(request.user, protocol, number, action=Action.EDIT)
    form = VersionEditForm(request.POST or None, initial={"change_note": version.change_note})
    if request.method == "POST" and form.is_valid():
        try:
            services.protocol_version_update(
                version=version, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Version {version.number} saved.")
            return redirect("documents:detail", pk=protocol.pk)
    return render(
        request,
        "documents/version_edit.html",
        _context(protocol, version=version, form=form),
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_delete(request, pk, number):
    protocol = protocol_get_for_user(request.user, pk)
    version = protocol_version_get_for_user(request.user, protocol, number, action=Action.EDIT)
    if request.method == "POST":
        services.protocol_version_delete(version=version, actor=request.user, request=request)
        messages.success(request, f"Draft version {number} deleted.")
        return redirect("documents:detail", pk=protocol.pk)
    return render(request, "documents/version_delete.html", _context(protocol, version=version))


@login_required
@require_http_methods(["GET", "POST"])
def version_approve(request, pk, number):
    """Approval cannot be undone (the approved version supersedes the current one), so GET
    asks for confirmation and POST approves."""
    protocol = protocol_get_for_user(request.user, pk)
    version = protocol_version_get_for_user(request.user, protocol, number)
    if not can(request.user, Action.MANAGE, protocol.project):
        raise PermissionDenied
    if version.status != ProtocolVersion.Status.DRAFT:
        messages.error(request, f"Version {number} is not a draft.")
        return redirect("documents:detail", pk=protocol.pk)
    if request.method == "GET":
        approved = protocol.versions.filter(status=ProtocolVersion.Status.APPROVED)
        current = visible(request.user, approved).first()
        context = _context(protocol, version=version, current=current)
        return render(request, "documents/version_approve.html", context)
    try:
        services.protocol_version_approve(version=version, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {number} approved.")
    return redirect("documents:detail", pk=protocol.pk)


@login_required
@require_safe
def version_download(request, pk, number):
    """404 for anyone who may not download, whether or not the version exists."""
    version = protocol_version_get_for_download(request.user, protocol_pk=pk, number=number)
    response = protected_file_response(version)  # opened first: a missing file records nothing
    services.protocol_version_record_download(version=version, actor=request.user, request=request)
    return response
