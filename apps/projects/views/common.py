"""Lookups every project view shares: each goes through `apps.access.policy`."""

from django.contrib import messages
from django.shortcuts import redirect

from apps.access.policy import Action, get_for_user
from apps.projects.models import Project
from apps.projects.selectors import insider_projects


def project_for(request, slug: str, action: str = Action.VIEW) -> Project:
    return get_for_user(request.user, Project.objects.all(), slug=slug, action=action)


def project_for_manager(request, slug: str) -> Project:
    """404 for outsiders, 403 for consortium members who are not coordinators."""
    return get_for_user(
        request.user, insider_projects(request.user), slug=slug, action=Action.MANAGE
    )


def done(request, message: str, to: str):
    messages.success(request, message)
    return redirect(to)


def posted(request):
    """Bind forms on every POST, even an empty one: a bare confirmation still validates."""
    return request.POST if request.method == "POST" else None


def files(request):
    return request.FILES if request.method == "POST" else None
