"""Dataset pages: thin views that fetch through the policy and call services."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.access.policy import Action, can, get_for_user, visible
from apps.access.selectors import dataset_access_panel
from apps.access.selectors import dataset_current_policy as access_current_policy
from apps.access.selectors import policy_lines as access_policy_lines
from apps.core import multipart
from apps.core.models import AccessTier
from apps.datasets import services
from apps.datasets.forms import DatasetForm, DatasetRetireForm
from apps.datasets.models import DatasetFile, DatasetStatus
from apps.datasets.navigation import dataset_policy_url, request_access_url
from apps.datasets.selectors import (
    dataset_current_policy,
    dataset_files,
    dataset_get_for_user,
    dataset_named_organisations,
    datasets_visible_to,
    member_organisation_id,
    project_get_for_user,
    suggested_projects,
)
from apps.diseases.models import DiseaseArea
from apps.items import views as items
from apps.items.forms import UploadForm
from apps.projects.filter_cache import (
    MAX_TEXT,
    CountedPaginator,
    cached_count,
    suggestion_text,
    suggestions_cache_headers,
    text_replaces_choice,
)
from apps.projects.models import Project
from apps.projects.page_cache import catalogue_fragment

PAGE_SIZE = 25
_context = partial(items.item_context, "dataset")


def _list_filters(request, user) -> dict:
    """Parsed filters for `datasets_visible_to`; an unknown tier or sort is ignored."""
    params = request.GET
    disease_area = None
    if params.get("disease_area"):
        disease_area = DiseaseArea.objects.filter(slug=params["disease_area"]).first()
    tier = params.get("tier", "")
    return {
        **_project_filter(user, params),
        "disease_area": disease_area,
        "tier": tier if tier in AccessTier.values else "",
        "search": params.get("q", "").strip()[:200],
        "sort": params.get("sort", "title"),
    }


def _project_filter(user, params) -> dict:
    """The project filter: `project` (a uuid: one project, from links and picked suggestions)
    or `project_name` (text: acronym or title contains it).

    The form sends both, the text holding the chosen project's acronym; text changed by the
    person replaces the choice, and empty text removes it. A uuid that is malformed, unknown
    or not visible matches nothing, the same for all three, so it reveals nothing."""
    name = params.get("project_name", "").strip()[:MAX_TEXT]
    if not params.get("project"):
        return {"project": None, "project_name": name, "match_nothing": False}
    project = _visible_project(user, params["project"])
    if project is None:
        return {"project": None, "project_name": "", "match_nothing": True}
    if text_replaces_choice(params, "project_name", name, project.acronym):
        return {"project": None, "project_name": name, "match_nothing": False}
    return {"project": project, "project_name": "", "match_nothing": False}


def _visible_project(user, pk: str):
    try:
        return visible(user, Project.objects.all(), Action.VIEW).filter(pk=pk).first()
    except ValidationError:  # not a uuid
        return None


def dataset_list(request):
    """Every dataset the person may see, across projects."""

    def content() -> str:
        filters = _list_filters(request, request.user)
        datasets = datasets_visible_to(request.user, **filters)
        count = cached_count("datasets", request.user, _count_key(filters), datasets)
        paginator = CountedPaginator(datasets, PAGE_SIZE, count=count)
        # No context processors: the filters and rows read the request's query string only,
        # which is in the key.
        context = {
            "page_obj": paginator.get_page(request.GET.get("page")),
            "filters": filters,
            "tiers": AccessTier.choices,
            "disease_areas": DiseaseArea.objects.order_by("name").only("name", "slug"),
            "project_missing": filters["match_nothing"],
            "request": request,
        }
        return render_to_string("datasets/_dataset_list_content.html", context)

    path = request.get_full_path()
    context = {"content": catalogue_fragment(request.user, "datasets", path, content)}
    return render(request, "datasets/dataset_list.html", context)


def _count_key(filters: dict) -> tuple:
    """Every filter that narrows the rows (not the sort), as plain values."""
    project, area = filters["project"], filters["disease_area"]
    return (
        str(project.pk) if project else "",
        filters["project_name"],
        str(area.pk) if area else "",
        filters["tier"],
        filters["search"],
        filters["match_nothing"],
    )


@require_safe
def project_suggestions(request):
    """Type-ahead options for the list's project filter (`<option>`s of a `<datalist>`): only
    projects with a dataset the person may see."""
    text = suggestion_text(request, "project_name")
    projects = suggested_projects(request.user, text) if text else []
    response = render(request, "datasets/_project_suggestions.html", {"projects": projects})
    return suggestions_cache_headers(response)


def project_dataset_list(request, project_pk):
    """A project's datasets (the project page's "Datasets" section links here)."""
    project = project_get_for_user(request.user, project_pk)
    filters = {
        **_list_filters(request, request.user),
        "project": project,
        "project_name": "",
        "match_nothing": False,
    }
    datasets = datasets_visible_to(request.user, **filters)
    page_obj = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "datasets/project_dataset_list.html",
        _context(
            project=project,
            page_obj=page_obj,
            filters=filters,
            tiers=AccessTier.choices,
            can_contribute=can(request.user, Action.CONTRIBUTE, project),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_create(request, project_pk):
    project = project_get_for_user(request.user, project_pk, Action.CONTRIBUTE)
    initial = {"steward_organisation": member_organisation_id(request.user, project)}
    return items.form_page(
        request,
        DatasetForm(request.POST or None, initial=initial, project=project),
        save=lambda data: services.dataset_create(
            project=project, actor=request.user, request=request, **data
        ),
        message="Dataset created as a draft. Add files, then publish it.",
        template="datasets/dataset_form.html",
        context=_context(project=project),
    )


def dataset_detail(request, pk):
    dataset = dataset_get_for_user(request.user, pk)
    return render(request, "datasets/dataset_detail.html", _detail_context(request, dataset))


def _detail_context(request, dataset) -> dict:
    user = request.user
    try:
        may_request = can(user, "request_access", dataset)
    except LookupError:  # the access engineer's rule is not registered yet
        may_request = False
    policy = dataset_current_policy(dataset)
    return _context(
        dataset,
        files=dataset_files(dataset),
        policy=policy,
        # The DUO values by name (disease areas with ICD-10 codes, people, months, dates).
        policy_lines=access_policy_lines(access_current_policy(dataset)) if policy else [],
        access_panel=dataset_access_panel(user, dataset),
        named_organisations=dataset_named_organisations(dataset),
        can_edit=can(user, Action.EDIT, dataset),
        can_download=can(user, Action.DOWNLOAD, dataset),
        can_request_access=may_request,
        policy_url=dataset_policy_url(dataset),
        request_access_url=request_access_url(dataset),
    )


dataset_edit = items.item_edit_view(
    services.WRITES, DatasetForm, template="datasets/dataset_form.html", get=dataset_get_for_user
)


@login_required
@require_POST
def dataset_publish(request, pk):
    dataset = dataset_get_for_user(request.user, pk, action=Action.EDIT)
    try:
        services.dataset_publish(dataset=dataset, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("datasets:detail", pk=dataset.pk)
    messages.success(request, "Dataset published.")
    return redirect("datasets:detail", pk=dataset.pk)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_retire(request, pk):
    dataset = dataset_get_for_user(request.user, pk, action=Action.EDIT)
    form = DatasetRetireForm(request.POST or None)
    if dataset.status == DatasetStatus.RETIRED:
        messages.info(request, "This dataset is already retired.")
        return redirect("datasets:detail", pk=dataset.pk)
    return items.form_page(
        request,
        form,
        save=lambda data: services.dataset_retire(
            dataset=dataset, actor=request.user, request=request, **data
        ),
        message="Dataset retired.",
        template="datasets/dataset_retire.html",
        context=_context(dataset),
        to=dataset,
    )


@csrf_exempt  # CSRF is checked by items.upload_form_page, after the streaming handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def file_upload(request, pk):
    # The access check runs before a byte of the body is read: strangers cannot make us store.
    dataset = dataset_get_for_user(request.user, pk, action=Action.EDIT)

    def save(fields):
        file = services.dataset_file_add(
            dataset=dataset, actor=request.user, upload=fields["file"], request=request
        )
        messages.success(request, f"Uploaded {file.file_name} (SHA-256 {file.sha256}).")
        return redirect(dataset)

    response = items.upload_form_page(
        request,
        form_class=UploadForm,
        template="datasets/file_upload.html",
        context=_context(
            dataset,
            # The page's script uploads in resumable parts (static/js/resumable-upload.js).
            max_bytes=multipart.max_bytes(),
            part_bytes=multipart.part_size_for(1),
            uppy_endpoint=reverse("datasets:uppy_create").removesuffix("/s3/multipart"),
        ),
        save=save,
    )
    bucket = multipart.part_url_origin()
    if bucket:  # the page's script sends parts straight to the bucket
        response._csp_update = {"connect-src": [bucket]}
    return response


@login_required
@require_http_methods(["GET", "POST"])
def file_delete(request, pk, file_pk):
    dataset = dataset_get_for_user(request.user, pk, action=Action.EDIT)
    file = get_for_user(request.user, dataset.files.all(), action=Action.EDIT, pk=file_pk)
    if request.method == "POST":
        services.dataset_file_delete(file=file, actor=request.user, request=request)
        messages.success(request, f"Deleted {file.file_name}.")
        return redirect(dataset)
    return render(request, "datasets/file_delete.html", _context(dataset, file=file))


@login_required
@require_safe
def file_download(request, pk, file_pk):
    return items.download(request, services.WRITES, DatasetFile, item_pk=pk, pk=file_pk)
