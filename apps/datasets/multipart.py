"""Services for resumable uploads of dataset files in parts: straight to object storage (S3
multipart), or through the server to disk on local storage (the same protocol, apps/core/multipart).

The caller (API view) has checked that the person may edit the dataset before each call; these
functions check the file itself and keep the row and the bucket consistent:

- `dataset_file_upload_start`: the name, size and announced SHA-256 are checked, the multipart
  upload is created in the bucket and an open DatasetFileUpload row records it;
- `dataset_file_upload_part_url`: a presigned URL for one part, short-lived;
- `dataset_file_upload_complete`: every part must be stored; the bucket assembles the object,
  the server reads it once to check size, type and SHA-256, and only then does a DatasetFile
  row point at it (in one transaction with the audit event). A mismatch deletes the object.
  A file larger than STRATUM_MULTIPART_VERIFY_INLINE_BYTES is only marked `verifying` there:
  reading 20 GiB takes minutes, longer than a request may last behind nginx (120 s) or in a
  sync gunicorn worker (60 s), and a completion cut half way could never be answered. A Celery
  worker runs `dataset_file_upload_verify` instead (the same steps; the client polls the
  upload until it is `completed`, with the file, or `aborted`, with the reason);
- `dataset_file_upload_abort`: the client gives up; the bucket drops the parts.

Anything left open is aborted by the temporary-upload sweep (apps/core/sweeps.py).
"""

import contextlib
import hmac
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from apps.core import multipart
from apps.core.ids import uuid7
from apps.core.sweeps import temporary_location
from apps.core.uploads import (
    SNIFF_BYTES,
    ZIP_CONTAINER_TYPES,
    check_zip_container,
    sanitise_file_name,
    sniff_content_type,
)
from apps.datasets.models import DatasetFile, DatasetFileUpload, DatasetStatus
from apps.datasets.services import dataset_file_record

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _check_start(*, dataset, size: int, sha256: str) -> None:
    if dataset.status == DatasetStatus.RETIRED:
        raise ValidationError("A retired dataset takes no new files.")
    if size <= 0:
        raise ValidationError({"size": "The file is empty."})
    limit = multipart.max_bytes()
    if size > limit:
        raise ValidationError(
            {"size": f"The file is larger than the {filesizeformat(limit)} limit."},
            code="file_too_large",
        )
    if not SHA256_HEX.fullmatch(sha256):
        raise ValidationError({"sha256": "Give the file's SHA-256 as 64 lower-case hex digits."})


@transaction.atomic
def dataset_file_upload_start(
    *, dataset, actor, file_name: str, size: int, sha256: str
) -> DatasetFileUpload:
    """Open a multipart upload in the bucket and record it. Raises ValidationError."""
    sha256 = sha256.lower()
    try:
        name = sanitise_file_name(file_name)
    except ValidationError as error:
        raise ValidationError({"file_name": error.messages}) from error
    _check_start(dataset=dataset, size=size, sha256=sha256)
    file_id = uuid7()
    key = f"protected/{DatasetFile._meta.label_lower}/{file_id}"
    upload = DatasetFileUpload(
        dataset=dataset,
        created_by=actor,
        file_name=name,
        size=size,
        sha256=sha256,
        part_size=multipart.part_size_for(size),
        file_id=file_id,
        key=key,
        upload_id=multipart.start(key),
    )
    try:
        upload.save()
    except BaseException:
        multipart.abort(key, upload.upload_id)
        raise
    return upload


def dataset_file_upload_part_url(*, upload: DatasetFileUpload, number: int):
    """(url, expires_at) for part `number` of an open upload."""
    if upload.status != DatasetFileUpload.Status.OPEN:
        raise ValidationError("This upload is finished; start a new one.")
    if not 1 <= number <= upload.part_count:
        raise ValidationError({"number": f"Parts are numbered 1 to {upload.part_count}."})
    # Activity keeps the upload alive: the sweep aborts uploads idle for a while, not long ones.
    DatasetFileUpload.objects.filter(pk=upload.pk).update(updated_at=timezone.now())
    return multipart.presigned_part_url(upload.key, upload.upload_id, number)


def _expected_sizes(upload: DatasetFileUpload) -> dict[int, int]:
    last = upload.size - upload.part_size * (upload.part_count - 1)
    sizes = dict.fromkeys(range(1, upload.part_count), upload.part_size)
    sizes[upload.part_count] = last
    return sizes


def dataset_file_upload_complete(
    *, upload: DatasetFileUpload, actor, request=None
) -> DatasetFile | None:
    """Assemble, verify and record the file; or, for a file larger than
    STRATUM_MULTIPART_VERIFY_INLINE_BYTES, mark the upload `verifying` and return None: the
    caller then queues `apps.datasets.tasks.verify_upload` (after the commit). Raises
    ValidationError (nothing is kept then: missing parts leave the upload open to resume; a
    wrong checksum or type deletes it)."""
    if upload.status != DatasetFileUpload.Status.OPEN:
        raise ValidationError("This upload is finished; start a new one.")
    parts = multipart.stored_parts(upload.key, upload.upload_id)
    expected = _expected_sizes(upload)
    have = {part.number: part.size for part in parts}
    missing = [n for n, size in expected.items() if have.get(n) != size]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + ("…" if len(missing) > 20 else "")
        raise ValidationError(
            f"{len(missing)} part(s) are missing or have the wrong size: {shown}. Send them "
            "and complete again."
        )
    if upload.size > settings.STRATUM_MULTIPART_VERIFY_INLINE_BYTES:
        marked = DatasetFileUpload.objects.filter(
            pk=upload.pk, status=DatasetFileUpload.Status.OPEN
        ).update(status=DatasetFileUpload.Status.VERIFYING, updated_at=timezone.now())
        if not marked:  # another request completed it meanwhile
            raise ValidationError("This upload is finished; start a new one.")
        upload.status = DatasetFileUpload.Status.VERIFYING
        return None
    multipart.complete(upload.key, upload.upload_id, parts)
    return _verify_and_record(upload, actor, request)


def _verify_and_record(upload: DatasetFileUpload, actor, request, *, retried=False) -> DatasetFile:
    """Check and record; a refused file is deleted and the upload aborted with the reason. Any
    other failure (the store or the database unreachable) does the same in a request; in a
    worker (`retried`) it leaves the upload `verifying`, unclaimed, for the next attempt."""
    try:
        content_type = _verify(upload)
        return _record(upload, actor, content_type, request)
    except BaseException as error:
        refused = isinstance(error, ValidationError)
        if retried and not refused:
            DatasetFileUpload.objects.filter(pk=upload.pk).update(verify_claimed_until=None)
            raise
        multipart.delete_object(upload.key)
        DatasetFileUpload.objects.filter(pk=upload.pk).update(
            status=DatasetFileUpload.Status.ABORTED,
            error=" ".join(error.messages) if refused else "",
            verify_claimed_until=None,
        )
        raise


def verification_seconds(size: int) -> int:
    """How long a worker may take to assemble and verify a file: generous (5 minutes plus the
    file read at 20 MiB/s), as the task's time limit and the claim's length."""
    return 300 + size // (20 * 1024**2)


def dataset_file_upload_verify(*, upload_id) -> DatasetFile | None:
    """The worker's half of completing a large upload (`verifying`): assemble the object in the
    bucket unless an earlier, interrupted run did, check it, record the file. Runs once at a
    time: it claims the upload for `verification_seconds`, and a second delivery of the task
    (Redis redelivers a long one) returns at once. A run that died leaves the claim to expire;
    `dataset_file_verifications_due` lists the upload again then. Returns the file, or None if
    there was nothing to do; a refused file is recorded on the upload (`aborted`, `error`)."""
    upload = DatasetFileUpload.objects.filter(pk=upload_id).select_related("created_by").first()
    if upload is None or upload.status != DatasetFileUpload.Status.VERIFYING:
        return None
    now = timezone.now()
    claimed = (
        DatasetFileUpload.objects.filter(pk=upload.pk, status=DatasetFileUpload.Status.VERIFYING)
        .filter(Q(verify_claimed_until__isnull=True) | Q(verify_claimed_until__lt=now))
        .update(verify_claimed_until=now + timedelta(seconds=verification_seconds(upload.size)))
    )
    if not claimed:
        return None
    try:
        if not multipart.object_exists(upload.key):
            parts = multipart.stored_parts(upload.key, upload.upload_id)
            multipart.complete(upload.key, upload.upload_id, parts)
    except BaseException:
        DatasetFileUpload.objects.filter(pk=upload.pk).update(verify_claimed_until=None)
        raise
    try:
        return _verify_and_record(upload, upload.created_by, None, retried=True)
    except ValidationError:
        return None  # recorded on the upload for the client to read


def dataset_file_verifications_abandon() -> list[str]:
    """Uploads still `verifying` MULTIPART_ORPHAN_AGE (a day) after completing, with no live
    claim: every attempt failed (the store unreachable that long, parts gone). Aborted with the
    reason, their parts and any assembled object dropped, so they are not retried for ever."""
    now = timezone.now()
    stale = DatasetFileUpload.objects.filter(
        status=DatasetFileUpload.Status.VERIFYING,
        updated_at__lt=now - timedelta(seconds=settings.STRATUM_MULTIPART_ORPHAN_AGE),
    ).filter(Q(verify_claimed_until__isnull=True) | Q(verify_claimed_until__lt=now))
    abandoned = []
    for upload in stale:
        multipart.abort(upload.key, upload.upload_id)
        multipart.delete_object(upload.key)
        DatasetFileUpload.objects.filter(pk=upload.pk).update(
            status=DatasetFileUpload.Status.ABORTED,
            error="The server could not check the file within a day. Nothing was kept; upload "
            "it again.",
        )
        abandoned.append(f"{upload.key} (upload {upload.pk})")
    return abandoned


def dataset_file_verifications_due() -> list:
    """Uploads `verifying` with no live claim: their task was lost (a broker restart) or their
    worker died. The ones marked a few minutes ago are left to the task queued with them."""
    now = timezone.now()
    return list(
        DatasetFileUpload.objects.filter(status=DatasetFileUpload.Status.VERIFYING)
        .filter(
            Q(verify_claimed_until__lt=now)
            | Q(verify_claimed_until__isnull=True, updated_at__lt=now - timedelta(minutes=10))
        )
        .values_list("pk", flat=True)
    )


def _verify(upload: DatasetFileUpload) -> str:
    """The object's content type, after checking its SHA-256 (one streaming read), size and
    type; ValidationError otherwise."""
    with contextlib.closing(multipart.open_object(upload.key, upload.size)) as reader:
        head = reader.read(SNIFF_BYTES)
        content_type = sniff_content_type(head, upload.file_name)
        if content_type in ZIP_CONTAINER_TYPES:
            check_zip_container(reader, upload.size)
    actual, size = multipart.object_sha256(upload.key)
    if size != upload.size or not hmac.compare_digest(actual, upload.sha256):
        raise ValidationError(
            f"The file that arrived has SHA-256 {actual} and {size} bytes, not {upload.sha256} "
            f"and {upload.size}: it was changed or cut on the way. Nothing was kept; upload it "
            "again.",
            code="file_checksum_mismatch",
        )
    return content_type


@transaction.atomic
def _record(upload, actor, content_type: str, request) -> DatasetFile:
    locked = DatasetFileUpload.objects.select_for_update().get(pk=upload.pk)
    if locked.status not in (DatasetFileUpload.Status.OPEN, DatasetFileUpload.Status.VERIFYING):
        raise ValidationError("This upload is finished; start a new one.")
    row = DatasetFile(
        id=upload.file_id,
        dataset=upload.dataset,
        uploaded_by=actor,
        file_name=upload.file_name,
        sha256=upload.sha256,
        size=upload.size,
        content_type=content_type,
    )
    row.file.name = upload.key
    dataset_file_record(row, actor=actor, request=request, multipart=True)
    locked.status = DatasetFileUpload.Status.COMPLETED
    locked.verify_claimed_until = None
    locked.save(update_fields=["status", "verify_claimed_until", "updated_at"])
    return row


@transaction.atomic
def dataset_file_upload_abort(*, upload: DatasetFileUpload) -> None:
    if upload.status == DatasetFileUpload.Status.OPEN:
        multipart.abort(upload.key, upload.upload_id)
        upload.status = DatasetFileUpload.Status.ABORTED
        upload.save(update_fields=["status", "updated_at"])


@temporary_location("dataset-file-uploads")
def sweep_open_uploads(older_than, dry_run: bool) -> list[str]:
    """Open DatasetFileUpload rows untouched for `older_than`: aborted in the bucket and
    marked aborted (a resuming client is told to start again)."""
    stale = DatasetFileUpload.objects.filter(
        status=DatasetFileUpload.Status.OPEN, updated_at__lt=timezone.now() - older_than
    )
    removed = []
    for upload in stale:
        if not dry_run:
            dataset_file_upload_abort(upload=upload)
        removed.append(f"{upload.key} (upload {upload.pk})")
    return removed
