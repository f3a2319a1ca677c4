"""Shared upload and download machinery for protected files (dataset files, protocol versions).

Uploads: `StreamingUploadHandler` streams the body to a temporary file, hashing it with SHA-256
and enforcing `settings.STRATUM_UPLOAD_MAX_BYTES` on the way in, so no upload is ever held in
memory and an oversized one is cut off without being written in full. `inspect_upload` then
sanitises the name and sniffs the content type from the first bytes (the client's declared type
is never trusted), and `store_protected_file` writes through Django's storage API and deletes
what it wrote if anything later fails, so a failed upload leaves neither row nor file.

Downloads: `protected_file_response` streams a stored file as an attachment (or hands it to
nginx with `X-Accel-Redirect`) with its checksum in `ETag` and `Digest`.
"""

import base64
import contextlib
import functools
import hashlib
import logging
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import ImmutableList, MultiValueDict

logger = logging.getLogger(__name__)

MAX_FILE_NAME_LENGTH = 200
SNIFF_BYTES = 8192
HASH_CHUNK = 1024 * 1024
# Room for the multipart boundaries, headers and the small text fields sent beside the file.
MULTIPART_OVERHEAD = 256 * 1024

# Binary formats recognised by their magic bytes (`filetype`), with the extensions they may carry.
BINARY_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "application/zip": ("zip",),
    "application/gzip": ("gz", "tgz", "bgz", "bam"),
    "application/x-bzip2": ("bz2",),
    "application/x-xz": ("xz",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/tiff": ("tif", "tiff"),
}
PARQUET_MAGIC = b"PAR1"
PARQUET_TYPE = "application/vnd.apache.parquet"

# Plain-text formats, recognised by extension once the bytes are known to be text.
TEXT_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "txt": "text/plain",
    "md": "text/markdown",
    "json": "application/json",
    "vcf": "text/x-vcf",
    "fasta": "text/x-fasta",
    "fa": "text/x-fasta",
    "fastq": "text/x-fastq",
    "bed": "text/plain",
    "gff": "text/plain",
    "gtf": "text/plain",
    "sam": "text/plain",
}
ACCEPTED_FORMATS_TEXT = (
    "CSV, TSV, TXT, Markdown, JSON, VCF, FASTA/FASTQ, BED, GFF/GTF, SAM, PDF, DOCX, XLSX, PPTX, "
    "ZIP, GZ/BGZF/BAM, BZ2, XZ, Parquet, PNG, JPEG, TIFF"
)
# ZIP containers are opened (their central directory only, nothing is decompressed) to refuse
# zip bombs and entries that would escape the folder they are extracted to ("zip slip").
ZIP_CONTAINER_TYPES = frozenset(
    {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_RATIO = 100  # expanded size / stored size; real data rarely passes 20
ZIP_RATIO_FLOOR = 64 * 1024 * 1024  # below this expanded size the ratio does not matter
# Text that a browser would run if it were ever rendered: never accepted, whatever its name.
ACTIVE_TEXT = re.compile(rb"<\s*(!doctype\s+html|html|svg|script|iframe|object)\b", re.IGNORECASE)


class UploadRefused(Exception):
    """The streaming handler stopped an upload; `message` says why, for the form."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def upload_limit_text() -> str:
    return filesizeformat(settings.STRATUM_UPLOAD_MAX_BYTES)


# --- File names --------------------------------------------------------------------------------
def sanitise_file_name(raw: str) -> str:
    """A safe display and download name: no directories, no `..`, no control or NUL characters,
    Unicode NFKC-normalised (so look-alike full-width slashes become real ones and are cut),
    at most MAX_FILE_NAME_LENGTH characters with the extension kept. Raise ValidationError when
    nothing usable is left."""
    if "\x00" in (raw or ""):
        raise ValidationError(
            "A file name cannot contain a NUL character. Rename the file and try again.",
            code="file_name_invalid",
        )
    name = unicodedata.normalize("NFKC", raw or "")
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip().strip(".").strip()
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"\s+", " ", name)
    if not name and (raw or "").strip():
        raise ValidationError(unusable_name_message(raw), code="file_name_invalid")
    if not name:
        raise ValidationError("The file needs a name.", code="file_name_empty")
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: MAX_FILE_NAME_LENGTH - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILE_NAME_LENGTH]
    return name


def unusable_name_message(raw: str) -> str:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return (
        f"“{shown}” cannot be used as a file name: it is made only of dots or path "
        "separators. Rename the file and try again."
    )


def file_extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


# --- Content sniffing --------------------------------------------------------------------------
def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return False
    return True


def sniff_content_type(head: bytes, file_name: str, more_text_types=()) -> str:
    """The content type from the file's first bytes; the name only chooses among text formats.
    Raise ValidationError for anything outside the allow-list (HTML, SVG, executables, …).
    `more_text_types`: (extension, content type) pairs a kind accepts besides (an analysis's
    code and notebooks)."""
    extension = file_extension(file_name)
    text_types = {**TEXT_TYPES, **dict(more_text_types)}
    more = "".join(f", {name.upper()}" for name, _type in more_text_types)
    allowed = f"Accepted formats: {ACCEPTED_FORMATS_TEXT}{more}."
    if head.startswith(PARQUET_MAGIC):
        if extension == "parquet":
            return PARQUET_TYPE
        raise ValidationError("A Parquet file must end in .parquet.", code="file_type_mismatch")
    kind = filetype.guess(head)
    if kind is not None:
        extensions = BINARY_TYPES.get(kind.mime)
        if extensions is None:
            raise ValidationError(
                f"Files of this type ({kind.mime}) are not accepted. {allowed}",
                code="file_type_refused",
            )
        if extension not in extensions:
            raise ValidationError(
                f"The file's content is {kind.mime}, which does not match its name. "
                f"Rename it to end in .{extensions[0]}.",
                code="file_type_mismatch",
            )
        return kind.mime
    if _looks_like_text(head) and extension in text_types:
        if ACTIVE_TEXT.search(head):
            raise ValidationError(
                "HTML, SVG and script content is not accepted.", code="file_type_refused"
            )
        return text_types[extension]
    raise ValidationError(
        f"This file's format is not accepted. {allowed}",
        code="file_type_refused",
    )


def _zip_member_escapes(name: str) -> bool:
    path = name.replace("\\", "/")
    return (
        path.startswith("/")
        or re.match(r"^[A-Za-z]:", path) is not None
        or ".." in path.split("/")
        or "\x00" in path
    )


def check_zip_container(upload, size: int) -> None:
    """Refuse a ZIP (or Office document) that would expand hugely, holds too many entries or
    has entries whose paths leave the extraction folder. Reads the central directory only."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        raise ValidationError(
            "The archive is damaged and cannot be read.", code="file_archive_damaged"
        ) from error
    finally:
        upload.seek(0)
    if len(members) > ZIP_MAX_MEMBERS:
        raise ValidationError(
            f"The archive holds more than {ZIP_MAX_MEMBERS:,} entries.", code="file_archive_bomb"
        )
    expanded = sum(member.file_size for member in members)
    too_big = expanded > 10 * settings.STRATUM_UPLOAD_MAX_BYTES
    too_dense = expanded > ZIP_RATIO_FLOOR and expanded > ZIP_MAX_RATIO * max(size, 1)
    if too_big or too_dense:
        raise ValidationError(
            f"The archive would expand to {filesizeformat(expanded)}, far more than its "
            f"{filesizeformat(size)}: it looks like a zip bomb and is not accepted.",
            code="file_archive_bomb",
        )
    if any(_zip_member_escapes(member.filename) for member in members):
        raise ValidationError(
            "The archive has entries whose paths leave their folder (such as ../). "
            "Re-create it with relative paths.",
            code="file_archive_traversal",
        )


# --- Streaming upload handler ------------------------------------------------------------------
class StreamingUploadHandler(FileUploadHandler):
    """Streams each file to a temporary file on disk while hashing it; stops at the size limit.

    Install it before the body is read (see `use_streaming_uploads`). After parsing, `refusal`
    holds an UploadRefused when the upload was stopped; the temporary file is already gone.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.max_bytes = settings.STRATUM_UPLOAD_MAX_BYTES
        self.refusal: UploadRefused | None = None
        self.interrupted = False
        self.hasher = None
        # `self.file` exists only while a file is being received: Django's parser closes
        # whatever `handler.file` it finds when it stops an upload.

    def _too_large(self) -> UploadRefused:
        return too_large_refusal()

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A declared body far past the limit is refused before a single byte is read.
        if _declared_length_too_large(content_length, self.max_bytes):
            self.refusal = self._too_large()
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        try:
            # Before the temporary file exists: a name Django's own checks refuse ("..") would
            # otherwise raise from TemporaryUploadedFile after it had created the file.
            safe_name = sanitise_file_name(file_name)
        except ValidationError as error:
            self.refuse_name(error.messages[0])
            raise SkipFile from error
        self.file = TemporaryUploadedFile(safe_name, "application/octet-stream", 0, None)
        self.hasher = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.refusal = self._too_large()
            self.upload_interrupted()
            # connection_reset: do not read (and discard) the rest of an oversized body.
            raise StopUpload(connection_reset=True)
        self.hasher.update(raw_data)
        self.file.write(raw_data)
        return None

    def refuse_name(self, message: str) -> None:
        if self.refusal is None:
            self.refusal = UploadRefused(message)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        self.file.stratum_sha256 = self.hasher.hexdigest()
        completed = self.file
        del self.file
        return completed

    def upload_interrupted(self):
        """Called by Django's parser when the body ended before the file did (a cut
        connection), and by this handler when it stops an oversized file."""
        file = getattr(self, "file", None)
        if file is not None:
            self.interrupted = True
            path = file.temporary_file_path()
            file.close()  # NamedTemporaryFile deletes itself on close
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            del self.file


def too_large_refusal() -> UploadRefused:
    return UploadRefused(f"The file is larger than the {upload_limit_text()} limit.", status=413)


def _declared_length_too_large(content_length, max_bytes: int) -> bool:
    return bool(content_length) and content_length > max_bytes + MULTIPART_OVERHEAD


def declared_too_large(request) -> bool:
    """The request says, in Content-Length, that its body is far over the upload limit.

    Views answer this with 413 before the CSRF check, which would otherwise read the whole body
    looking for the token: refusing changes nothing, so it needs no CSRF protection."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return _declared_length_too_large(length, settings.STRATUM_UPLOAD_MAX_BYTES)


def use_streaming_uploads(request) -> StreamingUploadHandler:
    """Make `request` stream its uploads through a StreamingUploadHandler. Call before anything
    reads request.POST or request.FILES (so from a csrf_exempt view that then applies
    csrf_protect itself)."""
    handler = StreamingUploadHandler(request)
    request.upload_handlers = [handler]
    # Django's parser silently drops a file part whose name is only dots or separators, so the
    # form would say "no file" instead of why: this parser records the refusal on the handler.
    request.parse_file_upload = functools.partial(_parse_file_upload, request)
    return handler


class _NameCheckingMultiPartParser(MultiPartParser):
    def sanitize_file_name(self, file_name):
        clean = super().sanitize_file_name(file_name)
        if clean is None or "\x00" in file_name:
            try:
                sanitise_file_name(file_name)
            except ValidationError as error:
                message = error.messages[0]
            else:
                message = unusable_name_message(file_name)
            for handler in self._upload_handlers:
                if isinstance(handler, StreamingUploadHandler):
                    handler.refuse_name(message)
            return None
        return clean


def _parse_file_upload(request, META, post_data):
    request.upload_handlers = ImmutableList(
        request.upload_handlers,
        warning="You cannot alter upload handlers after the upload has been processed.",
    )
    parser = _NameCheckingMultiPartParser(
        META, post_data, request.upload_handlers, request.encoding
    )
    return parser.parse()


@contextlib.contextmanager
def streaming_uploads(request):
    """Install a StreamingUploadHandler on a POST (yielding it; None otherwise) and, whatever
    happens inside, drop any half-received temporary file on the way out (for instance when
    the CSRF check met a cut connection while looking for its token)."""
    handler = use_streaming_uploads(request) if request.method == "POST" else None
    try:
        yield handler
    finally:
        if handler is not None:
            handler.upload_interrupted()


def parse_upload(request, handler: StreamingUploadHandler) -> None:
    """Read the request body now. Raise UploadRefused when it was over the limit or the client
    went away mid-body; every temporary file is removed first either way."""
    interrupted = UploadRefused(
        "The upload was interrupted before the whole file arrived. Nothing was saved; "
        "please try again."
    )
    try:
        request.POST  # noqa: B018  (parsing is the side effect wanted here)
    except (UnreadablePostError, MultiPartParserError, OSError) as error:
        handler.upload_interrupted()
        logger.warning("Upload interrupted on %s: %s", request.path, error)
        raise interrupted from error
    refusal = handler.refusal or (interrupted if handler.interrupted else None)
    if refusal is not None:
        for _field, uploads in request.FILES.lists():
            for upload in uploads:
                upload.close()
        logger.warning("Upload refused on %s: %s", request.path, refusal.message)
        raise refusal


# --- Inspection and storage -------------------------------------------------------------------
@dataclass(frozen=True)
class InspectedFile:
    name: str
    sha256: str
    size: int
    content_type: str


def upload_sha256(upload) -> str:
    """The SHA-256 (hex) of an uploaded file: the one `StreamingUploadHandler` computed on the
    way in, else read from the start (another handler received it)."""
    precomputed = getattr(upload, "stratum_sha256", None)
    if precomputed:
        return precomputed
    hasher = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks(HASH_CHUNK):
        hasher.update(chunk)
    upload.seek(0)
    return hasher.hexdigest()


def inspect_upload(upload, *, more_text_types=()) -> InspectedFile:
    """Validate an uploaded (or programmatically built) file: name, size, type and checksum
    (`more_text_types`: see `sniff_content_type`)."""
    name = sanitise_file_name(getattr(upload, "name", "") or "")
    size = upload.size
    if size is None or size <= 0:
        raise ValidationError("The file is empty.", code="file_empty")
    if size > settings.STRATUM_UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"The file is larger than the {upload_limit_text()} limit.", code="file_too_large"
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = sniff_content_type(head, name, more_text_types)
    if content_type in ZIP_CONTAINER_TYPES:
        check_zip_container(upload, size)
    return InspectedFile(
        name=name, sha256=upload_sha256(upload), size=size, content_type=content_type
    )


@contextlib.contextmanager
def stored_file_rollback(instance):
    """Delete what `instance.file` stored if the block fails, so a failed save leaves no file.

    Use around the whole write (file then row, in one transaction): the storage write cannot
    be rolled back by the database, so any exception, including one raised by the commit,
    deletes it."""
    try:
        yield
    except BaseException:
        field_file = instance.file
        if field_file.name:
            with contextlib.suppress(Exception):
                field_file.storage.delete(field_file.name)
        raise


def store_protected_file(instance, upload, inspected: InspectedFile) -> None:
    """Write `upload` to the instance's protected storage path (`protected/<label>/<row id>`)
    and fill the StoredFileFields. Does not save the row."""
    instance.file_name = inspected.name
    instance.sha256 = inspected.sha256
    instance.size = inspected.size
    instance.content_type = inspected.content_type
    upload.seek(0)
    instance.file.save(inspected.name, upload, save=False)


def delete_stored_file_on_commit(field_file) -> None:
    """Remove a stored file once the row deletion that orphans it has committed."""
    from django.db import transaction

    storage, name = field_file.storage, field_file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- Downloads ---------------------------------------------------------------------------------
def _digest_header(sha256_hex: str) -> str:
    return "sha-256=" + base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


def protected_file_response(stored) -> HttpResponse:
    """Serve a StoredFileFields row as an attachment, after the caller checked the policy.

    With `settings.STRATUM_X_ACCEL_PREFIX` set, nginx serves the bytes from its internal
    location (`deploy/nginx`); on object storage, a redirect to a short-lived presigned URL;
    otherwise Django streams them with FileResponse."""
    from apps.core import multipart

    prefix = settings.STRATUM_X_ACCEL_PREFIX
    if not prefix and multipart.on_object_storage():
        # Object storage serves the bytes itself (ranges included) for a few minutes; the
        # caller has checked the policy and audited the download.
        url = multipart.presigned_download_url(
            stored.file.name, stored.file_name, stored.content_type
        )
        response = HttpResponseRedirect(url)
    elif prefix:
        response = HttpResponse(content_type=stored.content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + stored.file.name.lstrip("/")
        response["Content-Disposition"] = _attachment(stored.file_name)
    else:
        try:
            handle = stored.file.open("rb")
        except FileNotFoundError as error:
            # The row exists but storage lost the bytes: an operator problem, logged loudly.
            logger.error("Stored file missing for %s %s", stored._meta.label_lower, stored.pk)
            raise Http404("File not found") from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=stored.file_name,
            content_type=stored.content_type,
        )
        response["Content-Length"] = str(stored.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{stored.sha256}"'
    response["Digest"] = _digest_header(stored.sha256)
    response["Repr-Digest"] = f"sha-256=:{_digest_header(stored.sha256)[8:]}:"
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(file_name: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(as_attachment=True, filename=file_name)


# --- Orphan sweep ------------------------------------------------------------------------------
def sweep_orphaned_files(*, models, older_than, dry_run: bool = False) -> list[str]:
    """Delete stored files under each model's `protected/<label>/` folder that no row points to.

    The upload services already delete what they stored when anything fails; this catches the
    one case they cannot: a process killed between the storage write and the commit. Files
    younger than `older_than` are left alone, since their row may still be committing."""
    from django.utils import timezone

    removed = []
    cutoff = timezone.now() - older_than
    for model in models:
        storage = model._meta.get_field("file").storage
        folder = f"protected/{model._meta.label_lower}"
        try:
            _folders, names = storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        known = set(model._default_manager.values_list("file", flat=True))
        for name in names:
            path = f"{folder}/{name}"
            if path in known or storage.get_modified_time(path) > cutoff:
                continue
            if not dry_run:
                storage.delete(path)
            removed.append(path)
    return removed
