"""Reads for the inbox: always the person's own rows, through the access policy."""

from apps.access.policy import visible
from apps.notifications.models import Notification


def inbox_for(user, *, unread_only: bool = False):
    notifications = visible(user, Notification.objects.all()).order_by("-created_at")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def unread_count(user) -> int:
    return visible(user, Notification.objects.filter(read_at__isnull=True)).count()
