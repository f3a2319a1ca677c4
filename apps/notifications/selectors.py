"""Reads for the inbox: always the person's own rows, through the access policy."""

from apps.access.policy import visible
from apps.notifications.models import Notification


def inbox_for(user, *, unread_only: bool = False):
    notifications = visible(user, Notification.objects.all()).order_by("-created_at")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def unread_count(user) -> int:
    unread = Notification.objects.filter(read_at__isnull=True)
    # The policy's statement re-checks every kind of target a notice may name, and it runs on
    # every signed-in page. With no unread notice at all the answer is 0 whatever the policy
    # says, and learning that from one's own rows tells nobody anything.
    own = unread.filter(recipient_id=getattr(user, "pk", None))
    if not own.system(
        "the header badge skips the policy's statement when nothing is unread"
    ).exists():
        return 0
    return visible(user, unread).count()
