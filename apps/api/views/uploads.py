"""File uploads through the API: a dataset file, a protocol version.

The same path as the site's upload forms: `StreamingUploadHandler` streams the body to a
temporary file while hashing it and stops at `STRATUM_UPLOAD_MAX_BYTES`; the domain service
then sniffs, validates and stores it (and deletes what it stored if anything fails).

Two ways to send the file, so partner scripts can stream big files without building a
multipart body:
- `multipart/form-data` with a `file` part (and `sha256`, `change_note` fields);
- any other `Content-Type`: the body *is* the file, named by
  `Content-Disposition: attachment; filename="..."` or the `filename` query parameter.

A client checksum (`sha256` field or parameter, or for a raw body `Content-Digest` /
`Repr-Digest` / `Digest` with sha-256) is compared with what arrived before anything is stored:
a mismatch is a 400 and nothing is kept.
"""

import base64
import binascii
import contextlib
import hmac
import logging
import re

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import StopUpload
from django.http import UnreadablePostError
from django.utils.http import parse_header_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.parsers import BaseParser, DataAndFiles, MultiPartParser

from apps.api.problems import PROBLEM_CONTENT_TYPE, PayloadTooLarge
from apps.api.serializers.common import ProblemSerializer
from apps.api.views.base import problems
from apps.core.uploads import (
    StreamingUploadHandler,
    UploadRefused,
    declared_too_large,
    parse_upload,
    sanitise_file_name,
    too_large_refusal,
    upload_sha256,
)

logger = logging.getLogger("apps.api")

RAW_CHUNK = 1024 * 1024
SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
# Inspection codes that mean "this kind of file is not accepted" (415); the rest are 400s.
REFUSED_TYPE_CODES = frozenset({"file_type_refused", "file_type_mismatch"})
TOO_LARGE_CODES = frozenset({"file_too_large"})
MULTIPART = "multipart/form-data"


class RawBodyParser(BaseParser):
    """Any body that is not multipart is the file itself. DRF only parses a body for a
    signed-in browser's CSRF check; this leaves it unread, for `received_upload` to stream."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return DataAndFiles({}, {})


# For an upload action: a multipart body goes through Django's parser and so through the
# streaming handler installed on the request; anything else is left for the view.
UPLOAD_PARSERS = [MultiPartParser, RawBodyParser]


class UnsupportedFileType(exceptions.APIException):
    status_code = 415
    default_detail = "Files of this type are not accepted."
    default_code = "unsupported_media_type"


RAW_PARAMETERS = [
    OpenApiParameter(
        "filename",
        OpenApiTypes.STR,
        required=False,
        description="For a raw body: the file's name (or send `Content-Disposition: attachment; "
        'filename="…"`). Its extension must match the content.',
    ),
    OpenApiParameter(
        "sha256",
        OpenApiTypes.STR,
        required=False,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="For a raw body: your SHA-256 of the file (hex). `Content-Digest: "
        "sha-256=:<base64>:` or `Digest: sha-256=<base64>` do the same.",
    ),
]


def upload_problems(*codes: int) -> dict:
    """`problems(...)` with the 415 an upload gives (a refused file type, not a JSON body)."""
    entries = problems(*codes, 415)
    entries[(415, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(
        response=ProblemSerializer,
        description="The file's content is a type that is not accepted, or does not match "
        "its name's extension.",
    )
    return entries


def upload_request_body(form_serializer) -> dict:
    """`extend_schema(request=...)`: the multipart form, or the file itself as the body."""
    return {MULTIPART: form_serializer, "application/octet-stream": OpenApiTypes.BINARY}


# --- Receiving ------------------------------------------------------------------------------------
class ReceivedUpload:
    """The file that arrived (a TemporaryUploadedFile carrying `stratum_sha256`) and the text
    fields sent beside it. Close it when done: the temporary file goes with it."""

    def __init__(self, file, fields: dict, client_sha256: str | None):
        self.file = file
        self.fields = fields
        self.client_sha256 = client_sha256

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()


def _refusal_to_api(refusal: UploadRefused) -> exceptions.APIException:
    if refusal.status == 413:
        return PayloadTooLarge(refusal.message)
    return exceptions.ValidationError({"file": [refusal.message]})


def received_upload(request, handler: StreamingUploadHandler) -> ReceivedUpload:
    """Read the body (multipart or raw) through `handler`; raise an API error (400, 413) when
    it cannot be used. `request` is the Django request."""
    if declared_too_large(request):
        raise PayloadTooLarge(too_large_refusal().message)
    content_type, _params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    receive = _multipart if content_type == MULTIPART else _raw
    upload = receive(request, handler)
    try:
        _check_client_sha256(upload)
    except BaseException:
        upload.close()
        raise
    return upload


def _multipart(request, handler) -> ReceivedUpload:
    try:
        parse_upload(request, handler)
    except UploadRefused as refusal:
        raise _refusal_to_api(refusal) from refusal
    files = request.FILES.getlist("file")
    if len(files) != 1:
        for extra in files:
            extra.close()
        message = "Send one file in the `file` part." if files else "The `file` part is missing."
        raise exceptions.ValidationError({"file": [message]})
    fields = {name: request.POST.get(name) for name in request.POST}
    sha = fields.get("sha256") or None
    return ReceivedUpload(files[0], fields, sha)


def _raw_file_name(request) -> str:
    disposition = request.META.get("HTTP_CONTENT_DISPOSITION", "")
    if disposition:
        _kind, params = parse_header_parameters(disposition)
        if params.get("filename"):
            return params["filename"]
    name = request.GET.get("filename", "")
    if not name:
        raise exceptions.ValidationError(
            {
                "filename": [
                    'Name the file: send `Content-Disposition: attachment; filename="…"` '
                    "or the `filename` query parameter."
                ]
            }
        )
    return name


def _raw(request, handler: StreamingUploadHandler) -> ReceivedUpload:
    try:
        # Checked before a byte is read or a temporary file exists, so a refused name leaves
        # nothing behind.
        name = sanitise_file_name(_raw_file_name(request))
    except ValidationError as error:
        raise exceptions.ValidationError({"filename": error.messages}) from error
    if not request.META.get("CONTENT_LENGTH"):
        # Without it the WSGI server hands Django no body (chunked bodies are not read).
        raise exceptions.ValidationError(
            {"file": ["Send the file with a Content-Length header (not chunked)."]}
        )
    try:
        expected = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        expected = 0
    handler.new_file("file", name, request.META.get("CONTENT_TYPE", ""), expected or None)
    received = 0
    try:
        while chunk := request.read(RAW_CHUNK):
            handler.receive_data_chunk(chunk, received)
            received += len(chunk)
    except StopUpload as stop:
        raise PayloadTooLarge(handler.refusal.message) from stop
    except (UnreadablePostError, OSError) as error:
        handler.upload_interrupted()
        logger.warning("API upload interrupted on %s: %s", request.path, error)
        raise exceptions.ValidationError(
            {
                "file": [
                    "The upload was interrupted before the whole file arrived; nothing was saved."
                ]
            }
        ) from error
    if expected and received != expected:
        handler.upload_interrupted()
        raise exceptions.ValidationError(
            {"file": ["The body ended before Content-Length bytes arrived; nothing was saved."]}
        )
    file = handler.file_complete(received)
    sha = request.GET.get("sha256") or _digest_header_sha256(request)
    return ReceivedUpload(file, {"change_note": request.GET.get("change_note", "")}, sha)


# --- Checksums ------------------------------------------------------------------------------------
def _b64_to_hex(value: str, header: str) -> str:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise exceptions.ValidationError(
            {header: ["The sha-256 value is not valid base64."]}
        ) from error
    if len(raw) != 32:
        raise exceptions.ValidationError({header: ["A sha-256 digest is 32 bytes."]})
    return raw.hex()


def _digest_header_sha256(request) -> str | None:
    """sha-256 from `Content-Digest`/`Repr-Digest` (RFC 9530, `sha-256=:b64:`) or `Digest`
    (RFC 3230, `SHA-256=b64`), as hex. Other algorithms are ignored (nothing to compare)."""
    for header, meta in (
        ("Content-Digest", "HTTP_CONTENT_DIGEST"),
        ("Repr-Digest", "HTTP_REPR_DIGEST"),
        ("Digest", "HTTP_DIGEST"),
    ):
        for item in request.META.get(meta, "").split(","):
            algorithm, _eq, value = item.strip().partition("=")
            if algorithm.strip().lower() == "sha-256" and value:
                return _b64_to_hex(value.strip().strip(":"), header)
    return None


def _check_client_sha256(upload: ReceivedUpload) -> None:
    claimed = upload.client_sha256
    if claimed is None:
        return
    if not SHA256_HEX.fullmatch(claimed):
        raise exceptions.ValidationError({"sha256": ["Give the SHA-256 as 64 hex digits."]})
    actual = upload_sha256(upload.file)
    if not hmac.compare_digest(claimed.lower(), actual):
        raise exceptions.ValidationError(
            {
                "sha256": [
                    f"The file that arrived has SHA-256 {actual}, not {claimed.lower()}: it was "
                    "changed or cut on the way. Nothing was stored; send it again."
                ]
            }
        )


# --- Storing --------------------------------------------------------------------------------------
def store_with(service, upload: ReceivedUpload, **kwargs):
    """Call the domain service with the file; its inspection errors become 415 (type refused),
    413 (too large) or 400. The temporary file is closed whatever happens."""
    try:
        return service(upload=upload.file, **kwargs)
    except ValidationError as error:
        codes = {item.code for item in getattr(error, "error_list", [])}
        if codes & REFUSED_TYPE_CODES:
            raise UnsupportedFileType(" ".join(error.messages)) from error
        if codes & TOO_LARGE_CODES:
            raise PayloadTooLarge(" ".join(error.messages)) from error
        if any(str(code).startswith("file_") for code in codes):
            raise exceptions.ValidationError({"file": error.messages}) from error
        raise
    finally:
        upload.close()
