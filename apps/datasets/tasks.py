from datetime import timedelta

from celery import shared_task

from apps.core.uploads import sweep_orphaned_files
from apps.datasets.models import DatasetFile
from apps.documents.models import ProtocolVersion


def sweep_protected_orphans(*, older_than_hours: int = 24, dry_run: bool = False) -> list[str]:
    """Protected files (dataset files, protocol versions) that no row points to any more."""
    return sweep_orphaned_files(
        models=[DatasetFile, ProtocolVersion],
        older_than=timedelta(hours=older_than_hours),
        dry_run=dry_run,
    )


@shared_task(name="datasets.sweep_orphan_files")
def sweep_orphan_files() -> int:
    """Nightly (CELERY_BEAT_SCHEDULE): a process killed between storing an upload and committing
    its row leaves a file behind; a day later nothing can still be committing it."""
    return len(sweep_protected_orphans())
