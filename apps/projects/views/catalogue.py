"""The public catalogue, "my projects", and proposing a project."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.projects import selectors
from apps.projects.filter_cache import suggestion_text, suggestions_cache_headers
from apps.projects.forms import CatalogueForm, ProjectProposeForm, apply_service_errors
from apps.projects.page_cache import catalogue_fragment
from apps.projects.selectors import CatalogueFilters
from apps.projects.services import project_propose
from apps.projects.views.common import done, posted

PAGE_SIZE = 25


def _filters(form: CatalogueForm) -> CatalogueFilters:
    """The valid parameters; an unknown sort or page is ignored, but an organisation or
    disease area nobody may filter by matches nothing (rather than everything)."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    area = data.get("disease_area")
    return CatalogueFilters(
        q=data.get("q", ""),
        disease_areas=[area] if area else [],
        organisation=data.get("organisation"),
        organisation_name=data.get("organisation_name", ""),
        organisation_kind=data.get("kind", ""),
        status=data.get("status", ""),
        sort=data.get("sort", ""),
        match_nothing=bool(
            {"organisation", "organisation_name", "disease_area", "kind", "status"}
            & set(form.errors)
        ),
    )


def catalogue(request):
    def content() -> str:
        organisations = selectors.catalogue_partner_organisations(request.user)
        form = CatalogueForm(request.GET or None, organisations=organisations)
        filters = _filters(form) if request.GET else CatalogueFilters()
        projects = selectors.catalogue(request.user, filters)
        page_obj = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
        # No context processors: the filters and results read the request's query string
        # only, which is in the key.
        context = {
            "form": form,
            "page_obj": page_obj,
            "filters": filters,
            "organisation_missing": "organisation" in form.errors,
            "request": request,
        }
        return render_to_string("projects/_catalogue_content.html", context)

    path = request.get_full_path()
    context = {"content": catalogue_fragment(request.user, "catalogue", path, content)}
    return render(request, "projects/catalogue.html", context)


@require_safe
def organisation_suggestions(request):
    """Type-ahead options for the catalogue's partner filter (`<option>`s of a `<datalist>`):
    only organisations the partner filter may offer this person."""
    text = suggestion_text(request, "organisation_name")
    organisations = selectors.suggested_partner_organisations(request.user, text) if text else []
    context = {"organisations": organisations}
    response = render(request, "projects/_organisation_suggestions.html", context)
    return suggestions_cache_headers(response)


@login_required
def mine(request):
    memberships = list(selectors.my_memberships(request.user))
    today = timezone.localdate()
    current = [m for m in memberships if m.ended_at is None and (m.ends_on or today) >= today]
    context = {
        "current": current,
        "ended": [m for m in memberships if m not in current],
        "proposals": selectors.my_proposals(request.user),
    }
    return render(request, "projects/mine.html", context)


@login_required
def propose(request):
    organisations = selectors.proposing_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied("Only members of an approved organisation can propose a project.")
    form = ProjectProposeForm(posted(request), organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_propose(proposer=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(
                request,
                f"{project.acronym} is proposed. Portal staff will review it; you are its "
                "coordinator.",
                project.get_absolute_url(),
            )
    status = 400 if form.errors else 200
    return render(request, "projects/propose.html", {"form": form}, status=status)
