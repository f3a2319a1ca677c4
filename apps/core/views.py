from django.http import Http404, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from apps.core.selectors import home_dashboard
from apps.core.welcome import welcome_pop


def home(request):
    """Signed in: "what needs me?"; visitors: what Stratum is and the public catalogue."""
    context = {}
    if request.user.is_authenticated:
        context = home_dashboard(request.user)
        context["welcome"] = welcome_pop(request)
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
    # The database or a context processor may be what failed: render with an empty context,
    # so the page needs neither (no user, no messages, no session).
    return HttpResponseServerError(loader.get_template("500.html").render({}))


def error_preview(request, code: int):
    if code not in (400, 403, 404, 500):
        raise Http404
    return _error(request, f"{code}.html", code)
