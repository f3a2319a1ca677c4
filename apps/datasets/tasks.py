from datetime import timedelta

from celery import shared_task
from django.apps import apps
from django.db import transaction

from apps.core.kinds import shared_parts
from apps.core.uploads import sweep_orphaned_files
from apps.datasets.models import DatasetFileUpload
from apps.datasets.multipart import (
    dataset_file_upload_verify,
    dataset_file_verifications_abandon,
    dataset_file_verifications_due,
    verification_seconds,
)


def protected_file_models() -> list:
    """Every model holding protected files: the file parts of the shared kinds, as declared."""
    return [apps.get_model(part.model) for part in shared_parts() if part.files]


def sweep_protected_orphans(*, older_than_hours: int = 24, dry_run: bool = False) -> list[str]:
    """Protected files (dataset files, protocol and analysis versions…) that no row points to."""
    return sweep_orphaned_files(
        models=protected_file_models(),
        older_than=timedelta(hours=older_than_hours),
        dry_run=dry_run,
    )


@shared_task(name="datasets.sweep_orphan_files")
def sweep_orphan_files() -> int:
    """Nightly (CELERY_BEAT_SCHEDULE): a process killed between storing an upload and committing
    its row leaves a file behind; a day later nothing can still be committing it."""
    return len(sweep_protected_orphans())


@shared_task(
    name="datasets.verify_upload",
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=5,
    ignore_result=True,
)
def verify_upload(upload_id: str) -> None:
    """Assemble, check and record a large resumable upload (apps/datasets/multipart.py). Queued
    by the API's "complete" with time limits fitting the file's size (`queue_verification`)."""
    dataset_file_upload_verify(upload_id=upload_id)


def queue_verification(upload) -> None:
    """Queue `verify_upload` once the caller's transaction commits, allowed as long as the
    file needs (the project's 120/180 s limits would cut a 20 GiB file half way)."""
    seconds = verification_seconds(upload.size)
    transaction.on_commit(
        lambda: verify_upload.apply_async(
            args=[str(upload.pk)], soft_time_limit=seconds, time_limit=seconds + 60
        )
    )


@shared_task(name="datasets.requeue_verifications")
def requeue_verifications() -> int:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): uploads left `verifying` by a lost task or a
    dead worker are queued again; those failing for a day are given up."""
    dataset_file_verifications_abandon()
    due = dataset_file_verifications_due()
    for upload in DatasetFileUpload.objects.filter(pk__in=due):
        queue_verification(upload)
    return len(due)
