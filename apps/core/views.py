from django.http import Http404, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import csrf_exempt, requires_csrf_token
from django.views.decorators.http import require_http_methods

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


@csrf_exempt
@require_http_methods(["PUT"])
def multipart_part_put(request, token):
    """One part of a multipart upload on local storage: the local stand-in for a presigned S3
    part URL (apps/core/multipart.py). Like S3's, the URL itself is the credential: it was
    issued after the policy check, names one upload and part, and expires after
    STRATUM_PRESIGN_SECONDS; no cookie is needed (so no CSRF either) and nothing else can be
    reached with it. Answers 200 with the part's ETag, as S3 does."""
    from django.core import signing

    from apps.core import multipart

    try:
        upload_id, number = multipart.local_part_target(token)
    except signing.SignatureExpired:
        return _part_refusal(403, "This part URL has expired: ask the server for a new one.")
    except signing.BadSignature:
        return _part_refusal(403, "This part URL is not valid.")
    try:
        length = int(request.headers.get("Content-Length", ""))
    except ValueError:
        return _part_refusal(411, "Send the part with a Content-Length.")
    largest = multipart.part_size_for(multipart.max_bytes())
    if not 0 < length <= largest:
        return _part_refusal(413, f"A part holds 1 to {largest} bytes, not {length}.")
    try:
        etag = multipart.local_store_part(upload_id, number, request, length)
    except FileNotFoundError:
        return _part_refusal(404, "This upload is finished or was abandoned; start a new one.")
    except ValueError as error:
        return _part_refusal(400, f"The part did not arrive whole: {error}. Send it again.")
    response = HttpResponse(status=200)
    response["ETag"] = f'"{etag}"'
    return response


def _part_refusal(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
