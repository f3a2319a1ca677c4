"""Reads for the inbox: always the person's own rows, through the access policy."""

from apps.access.policy import visible
from apps.access.policy.notifications import targets_named
from apps.notifications.models import Notification


def _own_unread_kinds(user) -> set[str]:
    """The kinds of target the person's own unread notices name. Learning them tells nobody
    anything (they are the person's own rows), and lets a statement about unread notices ask
    the policy only of those kinds' rules: the notification rule re-checks every kind of
    target a notice may name, and the unread count runs on every signed-in page."""
    own = Notification.objects.filter(recipient_id=getattr(user, "pk", None), read_at__isnull=True)
    return set(
        own.order_by()
        .values_list("target_type", flat=True)
        .distinct()
        .system("unread notices ask the policy only of the kinds the person's own notices name")
    )


def inbox_for(user, *, unread_only: bool = False):
    notifications = Notification.objects.all()
    if unread_only:
        kinds = _own_unread_kinds(user)
        if not kinds:
            return visible(user, notifications.none())
        with targets_named(kinds):
            notifications = visible(user, notifications.filter(read_at__isnull=True))
    else:
        notifications = visible(user, notifications)
    return notifications.order_by("-created_at")


def unread_count(user) -> int:
    kinds = _own_unread_kinds(user)
    if not kinds:  # with none, the answer is 0 whatever the policy says
        return 0
    with targets_named(kinds):
        return visible(user, Notification.objects.filter(read_at__isnull=True)).count()
