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
