"""Thin Celery adapters over apps.api.webhooks (ids in, services do the work)."""

from celery import shared_task

from apps.api.webhooks import webhook_delivery_attempt, webhooks_dispatch_all

# Plenty: retries stop when the endpoint has failed for 24 hours and is disabled.
MAX_RETRIES = 40


@shared_task(acks_late=True, ignore_result=True)
def webhooks_dispatch() -> int:
    return webhooks_dispatch_all()


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def webhook_deliver(self, delivery_id: str) -> bool:
    """One attempt; on failure retry with the backoff the service chose. Idempotent: the
    attempt claims the delivery first and a delivered one is never sent again."""
    attempt = webhook_delivery_attempt(delivery_id=delivery_id)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.sent
