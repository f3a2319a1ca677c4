"""Shared by the access views: querysets, paging, and how a refused change is reported."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from apps.access.exceptions import NotAllowed
from apps.access.models import AccessRequest

PAGE_SIZE = 25
REQUEST_QS = AccessRequest.objects.select_related(
    "dataset", "dataset__project", "requester", "organisation", "decided_by", "policy"
)


def page_of(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def refuse_or_report(request, error: Exception, url: str) -> HttpResponse:
    """A state race or refusal from a service: say so and go back, nothing was changed."""
    if isinstance(error, NotAllowed):
        raise PermissionDenied(str(error))
    messages.error(request, str(error))
    return redirect(url)


def access_request_url(access_request) -> str:
    return reverse("access:request_detail", kwargs={"pk": access_request.pk})
