"""Notification events. The notifications issue extends this module (policy filter, outbox).

Every caller uses `notification_emit` inside the transaction of the change it reports.
"""

from collections.abc import Iterable

from django.db import models

from apps.notifications.models import Notification


def notification_emit(
    *,
    event_type: str,
    recipients: Iterable,
    subject: str,
    body: str = "",
    url: str = "",
    target: models.Model | None = None,
    project=None,
) -> list[Notification]:
    """Write one in-app notification per distinct recipient."""
    seen, rows = set(), []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                event_type=event_type,
                subject=subject[:300],
                body=body,
                url=url,
                target_type=target._meta.label_lower if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                project=project,
            )
        )
    return Notification.objects.bulk_create(rows)
