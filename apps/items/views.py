"""Page handling every shared kind has: a form whose POST carries a file (streamed to disk,
never held in memory, refused early when declared too large), a version's approval, and a
download through the policy. The kinds' views fetch their item and call these with their
templates and services."""

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from apps.access.policy import Action, can, visible
from apps.core.shared_items import VersionStatus
from apps.core.uploads import (
    UploadRefused,
    declared_too_large,
    parse_upload,
    protected_file_response,
    streaming_uploads,
    too_large_refusal,
)
from apps.datasets.navigation import project_url
from apps.datasets.selectors import project_get_for_user
from apps.items import services
from apps.items.forms import with_upload_refusal
from apps.items.selectors import item_get_for_user, part_get_for_download, version_get_for_user


def item_context(name: str, item=None, *, project=None, **extra) -> dict:
    """A page's context about one item (`name`: "protocol") or, with no item, its project."""
    project = project or item.project
    return {name: item, "project": project, "project_url": project_url(project), **extra}


def add_form_errors(form, error: ValidationError, default_field=None) -> None:
    """A service's refusal on the form: errors by field stay with their fields (non-field
    errors when the form has no such field), a plain message goes to `default_field`."""
    if hasattr(error, "error_dict"):
        form.add_error(None, error)
    else:
        form.add_error(default_field, error.messages)


def form_page(
    request, form, *, save: Callable, message: str, template: str, context: dict, to=None
):
    """A form about an item: a valid POST calls the service `save(cleaned_data)` and goes to
    `to` (or to what `save` returned); the service's refusal is shown on the form (400)."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, message)
            return redirect(to or saved)
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


def upload_form_page(
    request, *, form_class: Callable, template: str, context: dict, save: Callable
):
    """GET shows `form_class()`; POST streams the body to disk and, when the form is valid,
    returns `save(cleaned_data)` (a redirect). A refused upload or a service's refusal is
    shown on the form, with the status saying why (413, 415, 400). The view calling this is
    `csrf_exempt`: CSRF is checked here, once the streaming handler is installed."""
    if request.method == "POST" and declared_too_large(request):
        form = with_upload_refusal(form_class({}), too_large_refusal().message)
        return render(request, template, {**context, "form": form}, status=413)
    with streaming_uploads(request) as handler:
        return _upload_form_page(
            request, handler, form_class=form_class, template=template, context=context, save=save
        )


@csrf_protect
def _upload_form_page(request, handler, *, form_class, template, context, save):
    if request.method != "POST":
        return render(request, template, {**context, "form": form_class()})
    try:
        parse_upload(request, handler)
    except UploadRefused as refusal:
        form = with_upload_refusal(form_class(request.POST), refusal.message)
        return render(request, template, {**context, "form": form}, status=refusal.status)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            return save(dict(form.cleaned_data))
        except ValidationError as error:
            add_form_errors(form, error, "file")
    return render(request, template, {**context, "form": form}, status=400)


def _no_inputs(user, project) -> dict:
    return {}


def _saving(request, write: Callable, message: str) -> Callable:
    """The `save` of an upload form: `write(actor=, request=, upload=, **fields)`, then the
    message (formatted with the saved row as `saved`) and its page."""

    def save(fields):
        upload = fields.pop("file")
        saved = write(actor=request.user, request=request, upload=upload, **fields)
        messages.success(request, message.format(saved=saved))
        return redirect(saved)

    return save


def item_create_view(writes, form_class, *, template: str, form_inputs=_no_inputs):
    """The page creating an item with its first (draft) version (`<namespace>:create`, with
    `project_pk`); `form_inputs(user, project)`: more of the form's arguments (what a version
    may cite)."""

    @csrf_exempt  # CSRF is checked by upload_form_page, after the streaming handler is installed
    @login_required
    @require_http_methods(["GET", "POST"])
    def item_create(request, project_pk):
        project = project_get_for_user(request.user, project_pk, Action.CONTRIBUTE)
        create = partial(services.item_create_with_first_version, writes, project=project)
        return upload_form_page(
            request,
            form_class=partial(form_class, project=project, **form_inputs(request.user, project)),
            template=template,
            context=item_context(writes.kind.name, project=project),
            save=_saving(
                request, create, f"{writes.kind.label} created with version 1 as a draft."
            ),
        )

    return item_create


def item_edit_view(writes, form_class, *, template: str, get=None):
    """The page editing an item's fields (`<namespace>:edit`, with `pk`); `get(user, pk,
    action=...)` fetches the item through the policy (default `item_get_for_user`)."""
    get = get or partial(item_get_for_user, model=writes.model)

    @login_required
    @require_http_methods(["GET", "POST"])
    def item_edit(request, pk):
        item = get(request.user, pk=pk, action=Action.EDIT)
        form = form_class(
            request.POST or None, initial=form_class.initial_for(item), project=item.project
        )
        return form_page(
            request,
            form,
            save=lambda data: services.item_update(
                writes, item=item, actor=request.user, request=request, **data
            ),
            message=f"{writes.kind.label} saved.",
            template=template,
            context=item_context(writes.kind.name, item),
            to=item,
        )

    return item_edit


def version_upload_view(writes, form_class, *, template: str, form_inputs=_no_inputs):
    """The page adding a draft version (`<namespace>:version_upload`, with `pk`)."""

    @csrf_exempt  # CSRF is checked by upload_form_page, after the streaming handler is installed
    @login_required
    @require_http_methods(["GET", "POST"])
    def version_upload(request, pk):
        item = item_get_for_user(request.user, writes.model, pk, action=Action.CONTRIBUTE)
        add = partial(services.version_add, writes, item=item)
        return upload_form_page(
            request,
            form_class=partial(form_class, **form_inputs(request.user, item.project)),
            template=template,
            context=item_context(writes.kind.name, item),
            save=_saving(request, add, "Version {saved.number} uploaded as a draft."),
        )

    return version_upload


def version_approve_view(writes, *, template: str):
    """The kind's version approval page (`<namespace>:version_approve`, with `pk` and
    `number`)."""

    @login_required
    @require_http_methods(["GET", "POST"])
    def version_approve(request, pk, number: int):
        return _version_approve(request, writes, pk=pk, number=number, template=template)

    return version_approve


def _version_approve(request, writes, *, pk, number: int, template: str):
    """Approval cannot be undone (the approved version supersedes the current one), so GET
    asks for confirmation and POST approves. Coordinators of the project only (403)."""
    item = item_get_for_user(request.user, writes.model, pk)
    version = version_get_for_user(request.user, item, number)
    if not can(request.user, Action.MANAGE, item.project):
        raise PermissionDenied
    if version.status != VersionStatus.DRAFT:
        messages.error(request, f"Version {number} is not a draft.")
        return redirect(item)
    if request.method == "GET":
        approved = item.versions.filter(status=VersionStatus.APPROVED)
        current = visible(request.user, approved).first()
        context = item_context(writes.kind.name, item, version=version, current=current)
        return render(request, template, context)
    try:
        services.version_approve(writes, version=version, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {number} approved.")
    return redirect(item)


def version_download_view(writes):
    """The kind's version download (`<namespace>:version_download`, with `pk` and `number`)."""

    @login_required
    @require_safe
    def version_download(request, pk, number: int):
        return download(request, writes, writes.version_model, item_pk=pk, number=number)

    return version_download


def download(request, writes, model, *, item_pk, **lookup):
    """The file of a version or of an item's file; 404 for anyone who may not download it,
    whether or not it exists. The download is audited once the file is open (a missing file
    records nothing)."""
    stored = part_get_for_download(request.user, model, item_pk=item_pk, **lookup)
    response = protected_file_response(stored)
    services.record_download(writes, stored=stored, actor=request.user, request=request)
    return response
