"""Multipart uploads with presigned part URLs: on object storage, and the same on local disk.

Large files never pass through Django when storage is S3-compatible: the client asks the server
for a presigned URL per part (the server checks the policy each time), PUTs the part straight to
the bucket, and asks the server to complete. The server then reads the object once, streaming,
to check its SHA-256 before any row points at it. On S3 everything here talks to the real S3
HTTP API of the bucket behind `default_storage` (django-storages' S3Storage).

On local file storage (`make run`, small deployments) the same protocol is served by Django
itself, so that the browser and API clients have ONE way to upload in resumable parts: a
"presigned" part URL is a signed, short-lived URL of `apps.core.views.multipart_part_put`, which
streams the part to `STRATUM_MULTIPART_LOCAL_DIR/<upload id>/`; completing concatenates the parts
into the protected file. An open upload's folder is the local "incomplete multipart upload":
aborting deletes it, and the temporary-upload sweep aborts abandoned ones (apps/core/sweeps.py).
"""

import contextlib
import hashlib
import io
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage

MIN_PART = 5 * 1024**2  # S3: every part but the last is at least 5 MiB
MAX_PARTS = 10_000  # S3: at most 10,000 parts per upload
READ_CHUNK = 8 * 1024**2


def on_object_storage() -> bool:
    """True when default storage is an S3-compatible bucket (parts go straight to it); False
    on local file storage (parts go through the server, to disk)."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(default_storage, S3Storage)


def max_bytes() -> int:
    """The largest file one multipart upload may carry on this deployment: 200 GiB by default on
    object storage, the through-the-server limit (2 GiB by default) on local storage."""
    if on_object_storage():
        return settings.STRATUM_MULTIPART_MAX_BYTES
    return settings.STRATUM_UPLOAD_MAX_BYTES


def _client():
    return default_storage.connection.meta.client


def _bucket() -> str:
    return default_storage.bucket_name


def part_size_for(size: int) -> int:
    """The configured part size, grown when the file would need more than 10,000 parts."""
    wanted = max(settings.STRATUM_MULTIPART_PART_BYTES, MIN_PART)
    needed = -(-size // MAX_PARTS)
    return max(wanted, needed)


def start(key: str, content_type: str = "application/octet-stream") -> str:
    if not on_object_storage():
        return _local_start(key)
    answer = _client().create_multipart_upload(Bucket=_bucket(), Key=key, ContentType=content_type)
    return answer["UploadId"]


def presigned_part_url(key: str, upload_id: str, number: int) -> tuple[str, datetime]:
    """A URL that lets its holder PUT part `number`, for STRATUM_PRESIGN_SECONDS only."""
    from django.utils import timezone

    seconds = settings.STRATUM_PRESIGN_SECONDS
    if not on_object_storage():
        return _local_part_url(upload_id, number), timezone.now() + timedelta(seconds=seconds)
    url = _client().generate_presigned_url(
        "upload_part",
        Params={"Bucket": _bucket(), "Key": key, "UploadId": upload_id, "PartNumber": number},
        ExpiresIn=seconds,
    )
    return url, timezone.now() + timedelta(seconds=seconds)


def part_url_origin() -> str | None:
    """The origin (scheme://host:port) the browser sends parts to on object storage, for the
    upload page's CSP `connect-src`; None on local storage (the page's own origin)."""
    if not on_object_storage():
        return None
    sample = _client().generate_presigned_url(  # computed locally: no request is made
        "upload_part",
        Params={"Bucket": _bucket(), "Key": "protected/x", "UploadId": "x", "PartNumber": 1},
        ExpiresIn=60,
    )
    parts = urlsplit(sample)
    return f"{parts.scheme}://{parts.netloc}"


def presigned_download_url(key: str, file_name: str, content_type: str) -> str:
    """A short-lived GET URL (ranges work: S3 answers Range requests) naming the file."""
    from django.utils.http import content_disposition_header

    return _client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": _bucket(),
            "Key": key,
            "ResponseContentDisposition": content_disposition_header(
                as_attachment=True, filename=file_name
            ),
            "ResponseContentType": content_type,
        },
        ExpiresIn=settings.STRATUM_PRESIGN_SECONDS,
    )


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str


def stored_parts(key: str, upload_id: str) -> list[StoredPart]:
    """The parts the bucket holds for this upload (what a resumed upload need not send)."""
    if not on_object_storage():
        return _local_parts(upload_id)
    parts: list[StoredPart] = []
    marker = 0
    while True:
        answer = _client().list_parts(
            Bucket=_bucket(), Key=key, UploadId=upload_id, PartNumberMarker=marker
        )
        parts += [
            StoredPart(p["PartNumber"], p["Size"], p["ETag"]) for p in answer.get("Parts", [])
        ]
        if not answer.get("IsTruncated"):
            return parts
        marker = answer["NextPartNumberMarker"]


def complete(key: str, upload_id: str, parts: list[StoredPart]) -> None:
    if not on_object_storage():
        return _local_complete(key, upload_id, parts)
    _client().complete_multipart_upload(
        Bucket=_bucket(),
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]},
    )


def abort(key: str, upload_id: str) -> None:
    if not on_object_storage():
        shutil.rmtree(_local_dir(upload_id), ignore_errors=True)
        return
    client = _client()
    with contextlib.suppress(client.exceptions.NoSuchUpload):  # completed or aborted already
        client.abort_multipart_upload(Bucket=_bucket(), Key=key, UploadId=upload_id)


def object_exists(key: str) -> bool:
    """Whether the assembled object is stored (a completion that was cut after the store
    assembled it need not, and cannot, assemble it again)."""
    if not on_object_storage():
        return default_storage.exists(key)
    from botocore.exceptions import ClientError

    try:
        _client().head_object(Bucket=_bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def delete_object(key: str) -> None:
    if not on_object_storage():
        default_storage.delete(key)
        return
    _client().delete_object(Bucket=_bucket(), Key=key)


def object_sha256(key: str) -> tuple[str, int]:
    """(SHA-256 hex, size) of a stored object, read once as a stream: memory stays at one
    chunk whatever the file's size."""
    if not on_object_storage():
        hasher, size = hashlib.sha256(), 0
        with default_storage.open(key, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
        return hasher.hexdigest(), size
    body = _client().get_object(Bucket=_bucket(), Key=key)["Body"]
    hasher, size = hashlib.sha256(), 0
    try:
        for chunk in body.iter_chunks(READ_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    finally:
        body.close()
    return hasher.hexdigest(), size


def open_object(key: str, size: int):
    """A seekable binary reader over a stored object (for sniffing and ZIP checks)."""
    if not on_object_storage():
        return default_storage.open(key, "rb")
    return RangeReader(key, size)


class RangeReader(io.RawIOBase):
    """A seekable read-only file over an object, fetching only the byte ranges asked for
    (enough for sniffing the first bytes and reading a ZIP's central directory)."""

    def __init__(self, key: str, size: int):
        self.key, self.size, self.position = key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        end = min(self.position + len(buffer), self.size)
        if end <= self.position:
            return 0
        answer = _client().get_object(
            Bucket=_bucket(), Key=self.key, Range=f"bytes={self.position}-{end - 1}"
        )
        data = answer["Body"].read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def incomplete_uploads(prefix: str = "protected/"):
    """(key, upload id, initiated) of every multipart upload still open in the bucket."""
    if not on_object_storage():
        yield from _local_incomplete(prefix)
        return
    client, kwargs = _client(), {"Bucket": _bucket(), "Prefix": prefix}
    while True:
        answer = client.list_multipart_uploads(**kwargs)
        for upload in answer.get("Uploads", []):
            yield upload["Key"], upload["UploadId"], upload["Initiated"]
        if not answer.get("IsTruncated"):
            return
        kwargs.update(
            KeyMarker=answer["NextKeyMarker"], UploadIdMarker=answer["NextUploadIdMarker"]
        )


# --- Local file storage: the same protocol served by Django -----------------------------------
PART_SIGNING_SALT = "stratum.multipart.part"
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_PART_FILE = re.compile(r"(?P<number>[0-9]{5})\.(?P<etag>[0-9a-f]{32})")
KEY_FILE = "key"


def _local_root() -> Path:
    return Path(settings.STRATUM_MULTIPART_LOCAL_DIR)


def _local_dir(upload_id: str) -> Path:
    if not _UPLOAD_ID.fullmatch(upload_id):  # never a path from outside the root
        raise ValueError("not a local multipart upload id")
    return _local_root() / upload_id


def _local_start(key: str) -> str:
    upload_id = uuid.uuid4().hex
    folder = _local_dir(upload_id)
    folder.mkdir(parents=True)
    (folder / KEY_FILE).write_text(key)
    return upload_id


def _local_part_url(upload_id: str, number: int) -> str:
    from django.urls import reverse

    token = signing.dumps({"u": upload_id, "n": number}, salt=PART_SIGNING_SALT, compress=True)
    return reverse("multipart_part_put", kwargs={"token": token})


def local_part_target(token: str) -> tuple[str, int]:
    """(upload id, part number) of a part URL's token; BadSignature/SignatureExpired if the
    token was forged or is older than STRATUM_PRESIGN_SECONDS."""
    data = signing.loads(token, salt=PART_SIGNING_SALT, max_age=settings.STRATUM_PRESIGN_SECONDS)
    return data["u"], int(data["n"])


def local_store_part(upload_id: str, number: int, stream, length: int) -> str:
    """Stream `length` bytes of part `number` to disk; its ETag (MD5 hex, as S3). A part sent
    again replaces the earlier one. FileNotFoundError if the upload is no longer open."""
    folder = _local_dir(upload_id)
    if not (folder / KEY_FILE).is_file():
        raise FileNotFoundError(upload_id)
    temporary = folder / f"{number:05d}.{uuid.uuid4().hex}.partial"
    md5, written = hashlib.md5(usedforsecurity=False), 0
    try:
        with open(temporary, "wb") as handle:
            while written < length:
                chunk = stream.read(min(READ_CHUNK, length - written))
                if not chunk:
                    break
                handle.write(chunk)
                md5.update(chunk)
                written += len(chunk)
        if written != length:
            raise ValueError(f"the part was cut after {written} of {length} bytes")
        etag = md5.hexdigest()
        for older in folder.glob(f"{number:05d}.*"):
            if older != temporary:
                older.unlink(missing_ok=True)
        os.replace(temporary, folder / f"{number:05d}.{etag}")
    finally:
        temporary.unlink(missing_ok=True)
    return etag


def _local_parts(upload_id: str) -> list[StoredPart]:
    folder = _local_dir(upload_id)
    if not folder.is_dir():
        return []
    parts = []
    for path in folder.iterdir():
        match = _PART_FILE.fullmatch(path.name)
        if match:
            parts.append(
                StoredPart(int(match["number"]), path.stat().st_size, f'"{match["etag"]}"')
            )
    return sorted(parts, key=lambda part: part.number)


def _local_complete(key: str, upload_id: str, parts: list[StoredPart]) -> None:
    """Concatenate the parts into the protected file (written aside, then renamed into place)
    and drop the upload's folder."""
    folder = _local_dir(upload_id)
    target = Path(default_storage.path(key))
    target.parent.mkdir(parents=True, exist_ok=True)
    assembling = target.with_name(f".{target.name}.{uuid.uuid4().hex}.assembling")
    try:
        with open(assembling, "wb") as out:
            for part in sorted(parts, key=lambda p: p.number):
                with open(folder / f"{part.number:05d}.{part.etag.strip(chr(34))}", "rb") as src:
                    shutil.copyfileobj(src, out, READ_CHUNK)
        os.replace(assembling, target)
    finally:
        assembling.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def _local_incomplete(prefix: str):
    root = _local_root()
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        try:
            key = (folder / KEY_FILE).read_text()
        except FileNotFoundError:  # a start killed between its two writes: swept all the same
            key = ""
        started = datetime.fromtimestamp(folder.stat().st_mtime, tz=UTC)
        if key.startswith(prefix) or not key:
            yield key, folder.name, started
