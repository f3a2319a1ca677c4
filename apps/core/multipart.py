"""S3 multipart uploads and presigned URLs on the deployment's object storage.

Large files never pass through Django when storage is S3-compatible: the client asks the server
for a presigned URL per part (the server checks the policy each time), PUTs the part straight to
the bucket, and asks the server to complete. The server then reads the object once, streaming,
to check its SHA-256 before any row points at it. Everything here talks to the real S3 HTTP API
of the bucket behind `default_storage` (django-storages' S3Storage).
"""

import contextlib
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage

MIN_PART = 5 * 1024**2  # S3: every part but the last is at least 5 MiB
MAX_PARTS = 10_000  # S3: at most 10,000 parts per upload
READ_CHUNK = 8 * 1024**2


def multipart_enabled() -> bool:
    """Only object storage takes parts directly; local storage uploads through the server."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(default_storage, S3Storage)


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
    answer = _client().create_multipart_upload(Bucket=_bucket(), Key=key, ContentType=content_type)
    return answer["UploadId"]


def presigned_part_url(key: str, upload_id: str, number: int) -> tuple[str, datetime]:
    """A URL that lets its holder PUT part `number`, for STRATUM_PRESIGN_SECONDS only."""
    from django.utils import timezone

    seconds = settings.STRATUM_PRESIGN_SECONDS
    url = _client().generate_presigned_url(
        "upload_part",
        Params={"Bucket": _bucket(), "Key": key, "UploadId": upload_id, "PartNumber": number},
        ExpiresIn=seconds,
    )
    return url, timezone.now() + timedelta(seconds=seconds)


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
    _client().complete_multipart_upload(
        Bucket=_bucket(),
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]},
    )


def abort(key: str, upload_id: str) -> None:
    client = _client()
    with contextlib.suppress(client.exceptions.NoSuchUpload):  # completed or aborted already
        client.abort_multipart_upload(Bucket=_bucket(), Key=key, UploadId=upload_id)


def delete_object(key: str) -> None:
    _client().delete_object(Bucket=_bucket(), Key=key)


def object_sha256(key: str) -> tuple[str, int]:
    """(SHA-256 hex, size) of a stored object, read once as a stream: memory stays at one
    chunk whatever the file's size."""
    body = _client().get_object(Bucket=_bucket(), Key=key)["Body"]
    hasher, size = hashlib.sha256(), 0
    try:
        for chunk in body.iter_chunks(READ_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    finally:
        body.close()
    return hasher.hexdigest(), size


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
