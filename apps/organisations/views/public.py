"""Pages anyone may open: the directory, profiles and logos."""

import mimetypes

from django.http import FileResponse, Http404
from django.shortcuts import render

from apps.organisations import selectors
from apps.organisations.models import OrganisationKind
from apps.organisations.selectors import can_manage, can_see_members, organisation_get_for_user
from apps.organisations.views.common import (
    page_of,
)

# --- Public pages ---------------------------------------------------------------------------


def directory(request):
    params = {key: request.GET.get(key, "").strip() for key in ("q", "kind", "country", "sort")}
    organisations = selectors.directory_organisations(request.user, **params)
    context = {
        "page_obj": page_of(request, organisations),
        "params": params,
        "kinds": OrganisationKind.choices,
        "countries": selectors.directory_countries(),
    }
    return render(request, "organisations/directory.html", context)


def profile(request, slug):
    organisation = organisation_get_for_user(request.user, slug)
    members = None
    if can_see_members(request.user, organisation):
        members = page_of(request, selectors.organisation_members(organisation))
    context = {
        "organisation": organisation,
        "domains": organisation.domains.all(),
        "projects": selectors.organisation_projects(request.user, organisation),
        "members": members,
        "can_manage": can_manage(request.user, organisation),
        **selectors.my_standing(request.user, organisation),
    }
    return render(request, "organisations/profile.html", context)


def logo(request, slug):
    """The logo through the same visibility rule as the profile, whatever the storage backend."""
    organisation = organisation_get_for_user(request.user, slug)
    if not organisation.logo:
        raise Http404("No logo.")
    content_type = mimetypes.guess_type(organisation.logo.name)[0] or "application/octet-stream"
    response = FileResponse(organisation.logo.open("rb"), content_type=content_type)
    public = organisation.is_approved
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
