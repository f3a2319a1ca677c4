"""Lookups every project view shares: each goes through `apps.access.policy`; and the two
shapes of a coordinator page (a form that calls a service, a delete confirmation)."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from apps.access.policy import Action, get_for_user
from apps.projects.forms import apply_service_errors
from apps.projects.models import Project
from apps.projects.selectors import insider_projects


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


def form_page(
    request,
    form,
    *,
    save: Callable[[dict], object],
    message: str | Callable[[object], str],
    next_url: str,
    template: str,
    context: dict,
):
    """A form page whose valid POST calls a service: `save(cleaned_data)`. The service's
    ValidationError is shown on the form (400, nothing saved); success redirects to `next_url`
    with `message` (or `message(what save returned)`)."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return done(request, message(saved) if callable(message) else message, next_url)
    status = 400 if form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)


def delete_page(request, project, thing, *, kind: str, delete: Callable[[], None], next_url: str):
    """A delete confirmation on GET; on POST `delete()`, whose ValidationError is listed."""
    errors = []
    if request.method == "POST":
        try:
            delete()
        except ValidationError as error:
            errors = error.messages
        else:
            return done(request, f"The {kind} is deleted.", next_url)
    context = {"project": project, "thing": thing, "errors": errors, "kind": kind}
    return render(request, "projects/confirm_delete.html", context, status=400 if errors else 200)
