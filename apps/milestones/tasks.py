from celery import shared_task

from apps.milestones.reminders import milestone_daily_sweep


@shared_task(name="milestones.daily_sweep", acks_late=True)
def daily_sweep() -> dict:
    """Daily at 06:00 Europe/London (CELERY_BEAT_SCHEDULE): reminders and overdue notices.
    Idempotent, so a redelivered or repeated run sends nothing twice."""
    return milestone_daily_sweep()
