"""Beat tasks: thin adapters over idempotent services (each grant is claimed by a conditional
update, so two overlapping runs never expire or notify twice)."""

from celery import shared_task

from apps.access.services import grants_mark_expired, grants_send_expiry_notices


@shared_task(name="access.grants_expire", acks_late=True)
def access_grants_expire() -> int:
    """Record grants past their end as expired and tell their holders."""
    return grants_mark_expired()


@shared_task(name="access.grants_send_expiry_notices", acks_late=True)
def access_grants_send_expiry_notices() -> int:
    """Send the 30- and 7-day notices before a grant ends."""
    return grants_send_expiry_notices()
