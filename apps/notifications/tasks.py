"""Celery adapters: take ids, call a service, decide about retries. No logic of their own."""

import logging
from datetime import timedelta

from celery import shared_task

from apps.notifications import outbox
from apps.notifications.digest import digest_send_all

logger = logging.getLogger(__name__)


@shared_task(
    name="notifications.send_email",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=outbox.MAX_ATTEMPTS,
)
def send_email(self, outbox_id: str) -> str:
    """Deliver one outbox row (idempotent: the row is claimed before anything is sent).

    SMTP errors come back as a "retry" outcome with the exponential backoff already written
    to the row; the task re-publishes itself with that countdown. A worker killed mid-task
    leaves the message unacknowledged (acks_late, reject_on_worker_lost) and the row claimed;
    either the broker's redelivery or the sweep brings it back, and the claim decides.
    """
    result = outbox.outbox_deliver(outbox_id=outbox_id)
    if result.status == "retry":
        if self.request.retries >= self.max_retries:
            outbox.outbox_fail(outbox_id=outbox_id, error="Gave up after retries")
            return "failed"
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task(
    name="notifications.send_email_batch", bind=True, acks_late=True, reject_on_worker_lost=True
)
def send_email_batch(self, outbox_ids: list[str]) -> dict:
    """Deliver a batch of outbox rows over one SMTP connection (the usual path; `send_email`
    remains for single rows and for messages queued before batches existed).

    Each row's backoff and attempt count live on the row, so rows that came back as "retry"
    are re-published as one batch once the longest of their backoffs has passed; after
    MAX_ATTEMPTS the row itself is marked failed. A worker killed mid-batch leaves the message
    unacknowledged and the claimed rows `sending`; redelivery or the sweep brings them back.
    """
    outcomes = outbox.outbox_deliver_batch(outbox_ids=outbox_ids)
    retry = {
        str(pk): result.retry_in for pk, result in outcomes.items() if result.status == "retry"
    }
    if retry:
        try:
            self.apply_async(args=[list(retry)], countdown=max(retry.values()))
        except Exception:
            logger.exception("Could not queue %d retries; the outbox sweep will.", len(retry))
    counts: dict[str, int] = {}
    for result in outcomes.values():
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts


@shared_task(name="notifications.dispatch_outbox", acks_late=True, reject_on_worker_lost=True)
def dispatch_outbox(outbox_ids: list[str]) -> int:
    """Fan a chunk of a large fan-out into `send_email_batch` tasks. Redelivery publishes
    duplicates, which the claims make harmless; anything never published is swept."""
    outbox.outbox_publish(outbox_ids)
    return len(outbox_ids)


@shared_task(name="notifications.sweep_outbox", acks_late=True)
def sweep_outbox(stale_after_seconds: int | None = None) -> int:
    """Every few minutes: queue again any e-mail the broker lost or a dead worker abandoned."""
    # None means the default lease; 0 means zero (every claim counts as abandoned), not "unset".
    stale_after = (
        outbox.STALE_AFTER
        if stale_after_seconds is None
        else timedelta(seconds=stale_after_seconds)
    )
    return outbox.outbox_sweep(stale_after=stale_after)


@shared_task(name="notifications.send_digests", acks_late=True)
def send_digests() -> int:
    """Daily: one digest e-mail per person with digest notifications waiting."""
    return digest_send_all()
