"""The browser's uploader (Uppy's AwsS3 plugin, vendored) speaks "Companion", Transloadit's
signing protocol, to `<endpoint>/s3/multipart/…`. These views answer it from the same services
as `/api/v1/file-uploads/`, for the signed-in person, so the upload page has one code path on
every deployment: parts go to presigned URLs of the bucket, or of this server on local storage.

Every change of state stays with the JSON API and its CSRF check: the page's script starts the
upload (`POST /api/v1/file-uploads/`), completes it (`…/complete/`, where the SHA-256 is
verified) and abandons it (`DELETE`). Uppy is handed the started upload as one to resume, so it
never asks these views to create anything; what it does ask is read-only (the parts stored) or
issues a part URL after the policy check, as the API's part-URL call does. Uppy's own `complete`
and `abort` calls (which carry no CSRF header) are answered without changing anything.

    GET    <endpoint>/s3/multipart/{id}?key=           the parts stored (to resume)
    GET    <endpoint>/s3/multipart/{id}/{n}?key=       {url}: a presigned URL to PUT part n
    POST   <endpoint>/s3/multipart/{id}/complete?key=  confirms every part is stored (no write)
    DELETE <endpoint>/s3/multipart/{id}?key=           204 (the page aborts through the API)
    POST   <endpoint>/s3/multipart                     400: start through the API
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.access.policy import Action
from apps.core import multipart
from apps.datasets import multipart as services
from apps.datasets.models import DatasetFileUpload
from apps.datasets.selectors import dataset_get_for_user


def _refusal(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _open_upload(request, upload_id) -> DatasetFileUpload:
    """The caller's own upload (404 for anyone else's), after asking the policy again whether
    they may still edit its dataset (403 otherwise)."""
    upload = DatasetFileUpload.objects.filter(pk=upload_id, created_by=request.user).first()
    if upload is None:
        raise Http404
    upload.dataset = dataset_get_for_user(request.user, upload.dataset_id, action=Action.EDIT)
    return upload


@login_required
@csrf_exempt  # refuses, writes nothing
@require_POST
def create(request):
    return _refusal("Start the upload with POST /api/v1/file-uploads/, then resume it here.")


@login_required
@csrf_exempt  # the DELETE writes nothing: abandoning goes through the API, with its CSRF check
@require_http_methods(["GET", "HEAD", "DELETE"])
def upload(request, upload_id):
    found = _open_upload(request, upload_id)
    if request.method == "DELETE":
        return HttpResponse(status=204)
    if found.status != DatasetFileUpload.Status.OPEN:
        return _refusal("This upload is finished; start a new one.", status=409)
    parts = multipart.stored_parts(found.key, found.upload_id)
    answer = [{"PartNumber": p.number, "Size": p.size, "ETag": p.etag} for p in parts]
    return JsonResponse(answer, safe=False)


@login_required
@require_safe
def part_url(request, upload_id, number):
    found = _open_upload(request, upload_id)
    try:
        url, expires_at = services.dataset_file_upload_part_url(upload=found, number=number)
    except ValidationError as error:
        return _refusal(" ".join(error.messages))
    return JsonResponse({"url": request.build_absolute_uri(url), "expires": expires_at})


@login_required
@csrf_exempt  # reads only: the real completion is POST /api/v1/file-uploads/{id}/complete/
@require_POST
def complete(request, upload_id):
    found = _open_upload(request, upload_id)
    if found.status != DatasetFileUpload.Status.OPEN:
        return _refusal("This upload is finished; start a new one.", status=409)
    stored = {p.number for p in multipart.stored_parts(found.key, found.upload_id)}
    missing = sorted(set(range(1, found.part_count + 1)) - stored)
    if missing:
        return _refusal(f"{len(missing)} part(s) are not stored yet.")
    return JsonResponse({"location": "", "key": str(found.pk), "bucket": None})
