import os
import socket

from celery import shared_task
from django.core.cache import cache


@shared_task(name="core.ping")
def ping(token: str) -> str:
    """Proves a worker process runs tasks: records which process answered the token."""
    answer = f"{socket.gethostname()}:{os.getpid()}"
    cache.set(f"ping:{token}", answer, 300)
    return answer


@shared_task(name="core.send_test_email")
def send_test_email(to: str) -> int:
    """Proves the worker can deliver mail (deploy/smoke.sh, and operators after a change)."""
    from django.conf import settings
    from django.core.mail import send_mail

    return send_mail(
        subject="Stratum test e-mail",
        message=f"This message was sent by the Celery worker on {socket.gethostname()}.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[to],
    )


@shared_task(name="core.sweep_temporary_uploads")
def sweep_temporary_uploads() -> int:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): remove what abandoned uploads left in every
    temporary location (apps/core/sweeps.py) once older than STRATUM_UPLOAD_TEMP_MAX_AGE."""
    from apps.core.sweeps import sweep_temporary_uploads as sweep

    return sum(len(removed) for removed in sweep().values())
