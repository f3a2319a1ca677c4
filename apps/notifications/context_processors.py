from django.utils.functional import SimpleLazyObject

from apps.notifications.selectors import unread_count


def unread(request):
    """`unread_notifications_count` for the header; counted only if a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications_count": 0}
    return {"unread_notifications_count": SimpleLazyObject(lambda: unread_count(user))}
