"""Organisation imports run by a worker, so a file of thousands of rows shows its progress."""

from celery import shared_task

from apps.organisations import services


# Beyond the global 120 s: MAX_ROWS rows take minutes on a small machine. A time-out still
# leaves the import's counters true (rows are committed in chunks) and the import can carry on.
@shared_task(name="organisations.run_import", soft_time_limit=30 * 60, time_limit=32 * 60)
def run_import(import_id: str) -> str | None:
    """Idempotent: a duplicate message, or one for an import another worker holds, does nothing."""
    job = services.organisation_import_run(import_id=import_id)
    return job.status if job else None
