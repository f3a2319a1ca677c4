from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


def home(request):
    """Signed in: "what needs me?"; visitors: what Stratum is and the public catalogue."""
    context = {}
    if request.user.is_authenticated:
        from apps.core.selectors import home_dashboard

        context = home_dashboard(request.user)
    return render(request, "core/home.html", context)


def _error(request, template: str, status: int):
    return render(request, template, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(request, "404.html", 404)


@requires_csrf_token
def server_error(request):
    # No request context processors may fail here: render the bare template.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({}))


def error_preview(request, code: int):
    if code not in (400, 403, 404, 500):
        raise Http404
    return _error(request, f"{code}.html", code)
