from datetime import timedelta

from celery import shared_task
from django.apps import apps

from apps.core.kinds import shared_parts
from apps.core.uploads import sweep_orphaned_files


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
