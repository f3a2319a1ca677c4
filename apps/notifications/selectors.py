"""Reads for the inbox: always the person's own rows, through the access policy."""

from apps.access.policy import visible
from apps.access.policy.notifications import targets_named
from apps.notifications.models import Notification


def inbox_for(user, *, unread_only: bool = False):
    notifications = visible(user, Notification.objects.all()).order_by("-created_at")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def unread_count(user) -> int:
    unread = Notification.objects.filter(read_at__isnull=True)
    # The policy's statement re-checks every kind of target a notice may name, and it runs on
    # every signed-in page. Learning which kinds one's own unread notices name tells nobody
    # anything (with none, the answer is 0 whatever the policy says), and lets the count ask
    # only those kinds' rules.
    own = unread.filter(recipient_id=getattr(user, "pk", None)).order_by()
    kinds = set(
        own.values_list("target_type", flat=True)
        .distinct()
        .system("the header badge asks the policy only of the kinds its own notices name")
    )
    if not kinds:
        return 0
    with targets_named(kinds):
        return visible(user, unread).count()
