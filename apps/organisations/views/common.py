"""Helpers shared by the organisation pages."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.views.decorators.http import require_http_methods

PAGE_SIZE = 25

GET_POST = require_http_methods(["GET", "POST"])


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_staff and request.user.is_active):
            raise PermissionDenied("Only portal staff can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def form_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def form_data(request):
    """Bind forms on every POST, even an empty one (`request.POST or None` would not)."""
    return request.POST if request.method == "POST" else None


def form_files(request):
    return request.FILES if request.method == "POST" else None


def page_of(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
