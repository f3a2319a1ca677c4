from celery import shared_task

from apps.changes.services import changes_record_time_ends


@shared_task(name="changes.record_time_ends", acks_late=True)
def record_time_ends() -> int:
    """Beat: access lost by the clock reaches the holder's feed and webhooks."""
    return changes_record_time_ends()
